import type { FillRecord } from '@recio/platform';
import type { PlatformTransaction } from '@recio/service-kit';

/**
 * Inserts fills not stored yet (keyed by the exchange's fill id) and returns the ids this
 * statement inserted. A fill stored already, by an earlier sync or by a concurrent one that
 * committed first (the unique key makes this statement wait for it), is not returned: "inserted"
 * is what decides whether `fill.recorded` is published, so it is published once.
 */
export async function insertFills(
  tx: PlatformTransaction,
  userId: string,
  fills: readonly FillRecord[],
): Promise<Set<string>> {
  if (fills.length === 0) return new Set();
  const { rows } = await tx.query<{ fill_id: string }>(
    `INSERT INTO account_fill (user_id, fill_id, order_id, ticker, side, action, count, yes_price, no_price, is_taker, fee_cents, created_time)
     SELECT $1, f.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::int[], $10::bool[], $11::int[], $12::timestamptz[])
       AS f(fill_id, order_id, ticker, side, action, count, yes_price, no_price, is_taker, fee_cents, created_time)
     ON CONFLICT (user_id, fill_id) DO NOTHING
     RETURNING fill_id`,
    [
      userId,
      fills.map((f) => f.fillId),
      fills.map((f) => f.orderId),
      fills.map((f) => f.ticker),
      fills.map((f) => f.side),
      fills.map((f) => f.action),
      fills.map((f) => f.count),
      fills.map((f) => f.yesPrice),
      fills.map((f) => f.noPrice),
      fills.map((f) => f.isTaker),
      fills.map((f) => f.feeCents),
      fills.map((f) => new Date(f.createdAt).toISOString()),
    ],
  );
  return new Set(rows.map((r) => r.fill_id));
}
