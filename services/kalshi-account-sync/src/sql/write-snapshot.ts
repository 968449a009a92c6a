import type { PositionRecord } from '@recio/platform';
import type { PlatformTransaction } from '@recio/service-kit';
import type { AccountSnapshot } from '../exchange-reader.js';
import type { SyncCursors } from './sync-cursors.js';

/** What one snapshot's write stored for the first time or changed. */
export interface SnapshotWrite {
  /** Fills this statement inserted (a fill stored already, by any sync, is not here). */
  insertedFills: Set<string>;
  /** Position rows new or different, and open rows flattened because the exchange no longer lists them; by ticker. */
  changedPositions: PositionRecord[];
  /** Tickers of the settlements this statement inserted. */
  insertedSettlements: Set<string>;
  /** Order rows new or changed. */
  changedOrders: number;
  /** Whether the balance was new or differed. */
  balanceChanged: boolean;
  /** The user's sync cursors with this write in (what readSyncCursors reads once it commits). */
  cursors: SyncCursors;
}

interface Row {
  fills: string[];
  positions: {
    ticker: string;
    position: number;
    market_exposure_cents: number;
    realized_pnl_cents: number;
    fees_paid_cents: number;
  }[];
  settled: string[];
  orders: number;
  balance: number;
  fill_at: Date | null;
  settlement_at: Date | null;
  resting: string[] | null;
}

const POSITION_COLUMNS = 'ticker, position, market_exposure_cents, realized_pnl_cents, fees_paid_cents';

/**
 * Writes a snapshot of one user's account in one statement (one round trip however much it
 * holds), and returns what it changed: exactly what there is to announce. Each part writes only
 * what is new or differs, so a repeated or concurrent sync (another process, a restart) changes,
 * and announces, nothing twice: a fill or settlement inserted by a concurrent sync that committed
 * first is not returned (the unique key makes this statement wait for it).
 *
 * The parts, each a data-modifying CTE run to completion whether or not the result reads it:
 * - fills (keyed by the exchange's fill id) and settlements (one per market): inserted if new;
 * - positions: upserted where they differ; open rows of the user whose ticker is not listed are
 *   flattened to 0 (every sync reads every position; the exchange may drop a settled or closed
 *   market from its list, and a mirror that kept the old count would be wrong forever). The two
 *   touch disjoint rows: listed tickers, and tickers not listed;
 * - orders (keyed by the exchange's order id): upserted where they differ;
 * - the balance: written where it differs.
 */
export async function writeSnapshot(
  tx: Pick<PlatformTransaction, 'query'>,
  userId: string,
  snapshot: AccountSnapshot,
): Promise<SnapshotWrite> {
  const { fills, positions, settlements, orders } = snapshot;
  const { rows } = await tx.query<Row>(
    `WITH f AS (
       INSERT INTO account_fill (user_id, fill_id, order_id, ticker, side, action, count, yes_price, no_price, is_taker, fee_cents, created_time)
       SELECT $1, x.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::int[], $10::bool[], $11::int[], $12::timestamptz[])
         AS x(fill_id, order_id, ticker, side, action, count, yes_price, no_price, is_taker, fee_cents, created_time)
       ON CONFLICT (user_id, fill_id) DO NOTHING
       RETURNING fill_id, created_time
     ), p AS (
       INSERT INTO account_position AS p (user_id, ticker, position, market_exposure_cents, realized_pnl_cents, fees_paid_cents)
       SELECT $1, x.* FROM unnest($13::text[], $14::int[], $15::bigint[], $16::bigint[], $17::bigint[])
         AS x(ticker, position, market_exposure_cents, realized_pnl_cents, fees_paid_cents)
       ON CONFLICT (user_id, ticker) DO UPDATE SET
         position = EXCLUDED.position, market_exposure_cents = EXCLUDED.market_exposure_cents,
         realized_pnl_cents = EXCLUDED.realized_pnl_cents, fees_paid_cents = EXCLUDED.fees_paid_cents, updated_at = now()
       WHERE (p.position, p.market_exposure_cents, p.realized_pnl_cents, p.fees_paid_cents)
         IS DISTINCT FROM (EXCLUDED.position, EXCLUDED.market_exposure_cents, EXCLUDED.realized_pnl_cents, EXCLUDED.fees_paid_cents)
       RETURNING ${POSITION_COLUMNS}
     ), z AS (
       UPDATE account_position SET position = 0, market_exposure_cents = 0, updated_at = now()
       WHERE user_id = $1 AND (position <> 0 OR market_exposure_cents <> 0) AND NOT (ticker = ANY($13::text[]))
       RETURNING ${POSITION_COLUMNS}
     ), s AS (
       INSERT INTO account_settlement (user_id, ticker, market_result, yes_count, no_count, revenue_cents, settled_time)
       SELECT $1, x.* FROM unnest($18::text[], $19::text[], $20::int[], $21::int[], $22::bigint[], $23::timestamptz[])
         AS x(ticker, market_result, yes_count, no_count, revenue_cents, settled_time)
       ON CONFLICT (user_id, ticker) DO NOTHING
       RETURNING ticker, settled_time
     ), o AS (
       INSERT INTO account_order AS o (user_id, order_id, client_order_id, ticker, side, action, status, yes_price, no_price, fill_count, fees_cents, created_time)
       SELECT $1, x.* FROM unnest($24::text[], $25::text[], $26::text[], $27::text[], $28::text[], $29::text[], $30::int[], $31::int[], $32::int[], $33::int[], $34::timestamptz[])
         AS x(order_id, client_order_id, ticker, side, action, status, yes_price, no_price, fill_count, fees_cents, created_time)
       ON CONFLICT (user_id, order_id) DO UPDATE SET
         client_order_id = EXCLUDED.client_order_id, status = EXCLUDED.status, yes_price = EXCLUDED.yes_price,
         no_price = EXCLUDED.no_price, fill_count = EXCLUDED.fill_count, fees_cents = EXCLUDED.fees_cents,
         created_time = EXCLUDED.created_time, updated_at = now()
       WHERE (o.client_order_id, o.status, o.yes_price, o.no_price, o.fill_count, o.fees_cents, o.created_time)
         IS DISTINCT FROM (EXCLUDED.client_order_id, EXCLUDED.status, EXCLUDED.yes_price, EXCLUDED.no_price, EXCLUDED.fill_count, EXCLUDED.fees_cents, EXCLUDED.created_time)
       RETURNING 1
     ), b AS (
       INSERT INTO account_balance AS b (user_id, balance_cents) VALUES ($1, $35)
       ON CONFLICT (user_id) DO UPDATE SET balance_cents = EXCLUDED.balance_cents, updated_at = now()
       WHERE b.balance_cents <> EXCLUDED.balance_cents
       RETURNING 1
     )
     SELECT (SELECT coalesce(array_agg(fill_id), '{}') FROM f) AS fills,
            (SELECT coalesce(json_agg(c), '[]') FROM (SELECT * FROM p UNION ALL SELECT * FROM z) c) AS positions,
            (SELECT coalesce(array_agg(ticker), '{}') FROM s) AS settled,
            (SELECT count(*) FROM o)::int AS orders,
            (SELECT count(*) FROM b)::int AS balance,
            -- The cursors after this write: the parts above are not visible to this SELECT (one
            -- snapshot), so what they add is taken from what they return and from the parameters.
            greatest((SELECT max(created_time) FROM account_fill WHERE user_id = $1), (SELECT max(created_time) FROM f)) AS fill_at,
            greatest((SELECT max(settled_time) FROM account_settlement WHERE user_id = $1), (SELECT max(settled_time) FROM s)) AS settlement_at,
            (SELECT array_agg(DISTINCT r.ticker) FROM (
               SELECT ticker FROM account_order WHERE user_id = $1 AND status = 'resting' AND NOT (order_id = ANY($24::text[]))
               UNION ALL
               SELECT x.ticker FROM unnest($26::text[], $29::text[]) AS x(ticker, status) WHERE x.status = 'resting'
             ) r) AS resting`,
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
      positions.map((p) => p.ticker),
      positions.map((p) => p.position),
      positions.map((p) => p.marketExposureCents),
      positions.map((p) => p.realizedPnlCents),
      positions.map((p) => p.feesPaidCents),
      settlements.map((s) => s.ticker),
      settlements.map((s) => s.marketResult),
      settlements.map((s) => s.yesCount),
      settlements.map((s) => s.noCount),
      settlements.map((s) => s.revenueCents),
      settlements.map((s) => new Date(s.settledAt).toISOString()),
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
      snapshot.balanceCents,
    ],
  );
  const row = rows[0]!;
  return {
    insertedFills: new Set(row.fills),
    // json_agg gives the bigint columns as JSON numbers (cents: far inside the safe integer range).
    changedPositions: row.positions
      .map((r) => ({
        ticker: r.ticker,
        position: r.position,
        marketExposureCents: Number(r.market_exposure_cents),
        realizedPnlCents: Number(r.realized_pnl_cents),
        feesPaidCents: Number(r.fees_paid_cents),
      }))
      .sort((a, b) => (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0)),
    insertedSettlements: new Set(row.settled),
    changedOrders: row.orders,
    balanceChanged: row.balance > 0,
    cursors: {
      newestFillAt: row.fill_at ? row.fill_at.getTime() : null,
      newestSettlementAt: row.settlement_at ? row.settlement_at.getTime() : null,
      restingOrderTickers: row.resting ?? [],
    },
  };
}
