import type { PlatformTransaction } from '@recio/service-kit';
import type { OrderRow } from '../wire-records.js';

/** Writes orders (keyed by the exchange's order id); returns how many were new or changed. */
export async function upsertOrders(
  tx: PlatformTransaction,
  userId: string,
  orders: readonly OrderRow[],
): Promise<number> {
  if (orders.length === 0) return 0;
  const { rowCount } = await tx.query(
    `INSERT INTO account_order AS o (user_id, order_id, client_order_id, ticker, side, action, status, yes_price, no_price, fill_count, fees_cents, created_time)
     SELECT $1, x.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[], $10::int[], $11::int[], $12::timestamptz[])
       AS x(order_id, client_order_id, ticker, side, action, status, yes_price, no_price, fill_count, fees_cents, created_time)
     ON CONFLICT (user_id, order_id) DO UPDATE SET
       client_order_id = EXCLUDED.client_order_id, status = EXCLUDED.status, yes_price = EXCLUDED.yes_price,
       no_price = EXCLUDED.no_price, fill_count = EXCLUDED.fill_count, fees_cents = EXCLUDED.fees_cents,
       created_time = EXCLUDED.created_time, updated_at = now()
     WHERE (o.client_order_id, o.status, o.yes_price, o.no_price, o.fill_count, o.fees_cents, o.created_time)
       IS DISTINCT FROM (EXCLUDED.client_order_id, EXCLUDED.status, EXCLUDED.yes_price, EXCLUDED.no_price, EXCLUDED.fill_count, EXCLUDED.fees_cents, EXCLUDED.created_time)`,
    [
      userId,
      orders.map((o) => o.orderId),
      orders.map((o) => o.clientOrderId),
      orders.map((o) => o.ticker),
      orders.map((o) => o.side),
      orders.map((o) => o.action),
      orders.map((o) => o.status),
      orders.map((o) => o.yesPrice),
      orders.map((o) => o.noPrice),
      orders.map((o) => o.fillCount),
      orders.map((o) => o.feesCents),
      orders.map((o) => (o.createdAt === null ? null : new Date(o.createdAt).toISOString())),
    ],
  );
  return rowCount ?? 0;
}
