import type { PlatformTransaction } from '@recio/service-kit';
import type { SettlementRow } from '../wire-records.js';

/**
 * Inserts settlements not stored yet (one per user and market) and returns the tickers this
 * statement inserted; like insertFills, "inserted" decides whether `settlement.recorded` is
 * published, so a settlement is announced once however many syncs see it.
 */
export async function insertSettlements(
  tx: PlatformTransaction,
  userId: string,
  settlements: readonly SettlementRow[],
): Promise<Set<string>> {
  if (settlements.length === 0) return new Set();
  const { rows } = await tx.query<{ ticker: string }>(
    `INSERT INTO account_settlement (user_id, ticker, market_result, yes_count, no_count, revenue_cents, settled_time)
     SELECT $1, s.* FROM unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::bigint[], $7::timestamptz[])
       AS s(ticker, market_result, yes_count, no_count, revenue_cents, settled_time)
     ON CONFLICT (user_id, ticker) DO NOTHING
     RETURNING ticker`,
    [
      userId,
      settlements.map((s) => s.ticker),
      settlements.map((s) => s.marketResult),
      settlements.map((s) => s.yesCount),
      settlements.map((s) => s.noCount),
      settlements.map((s) => s.revenueCents),
      settlements.map((s) => new Date(s.settledAt).toISOString()),
    ],
  );
  return new Set(rows.map((r) => r.ticker));
}
