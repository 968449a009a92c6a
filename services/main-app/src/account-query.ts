import type { FillRecord, PositionRecord, SettlementRecord } from '@recio/platform';
import { formatCursor, type PageCursor } from './cursor.js';
import { beforeClause, type Db } from './db.js';

/** The mirrored balance; both null until the account sync has run for the user. */
export interface Balance {
  balanceCents: number | null;
  updatedAt: number | null;
}

/** A user's balance from account_balance. */
export async function readBalance(db: Db, userId: string): Promise<Balance> {
  const { rows } = await db.query<{ balance_cents: string; updated_at: Date }>(
    'SELECT balance_cents, updated_at FROM account_balance WHERE user_id = $1',
    [userId],
  );
  const row = rows[0];
  return row
    ? { balanceCents: Number(row.balance_cents), updatedAt: row.updated_at.getTime() }
    : { balanceCents: null, updatedAt: null };
}

/** A mirrored position with when it was last synced. */
export type PositionView = PositionRecord & { updatedAt: number };

/** A user's positions, by ticker. */
export async function listPositions(db: Db, userId: string): Promise<PositionView[]> {
  const { rows } = await db.query<{
    ticker: string;
    position: number;
    market_exposure_cents: string;
    realized_pnl_cents: string;
    fees_paid_cents: string;
    updated_at: Date;
  }>('SELECT * FROM account_position WHERE user_id = $1 ORDER BY ticker', [userId]);
  return rows.map((r) => ({
    ticker: r.ticker,
    position: r.position,
    marketExposureCents: Number(r.market_exposure_cents),
    realizedPnlCents: Number(r.realized_pnl_cents),
    feesPaidCents: Number(r.fees_paid_cents),
    updatedAt: r.updated_at.getTime(),
  }));
}

/** A page of newest-first rows and the cursor of the next one (null on the last). */
export interface Page<T> {
  items: T[];
  nextBefore: string | null;
}

/** A user's fills, newest first (created_time, then fill_id), strictly before a cursor. */
export async function listFills(
  db: Db,
  q: { userId: string; limit: number; before: PageCursor | null },
): Promise<Page<FillRecord>> {
  const { clause, values } = beforeClause('created_time', 'fill_id', q.before, [q.userId, q.limit + 1]);
  const { rows } = await db.query<{
    fill_id: string;
    order_id: string;
    ticker: string;
    side: 'yes' | 'no';
    action: 'buy' | 'sell';
    count: number;
    yes_price: number;
    no_price: number;
    is_taker: boolean;
    fee_cents: number | null;
    created_time: Date;
  }>(
    `SELECT * FROM account_fill WHERE user_id = $1${clause} ORDER BY created_time DESC, fill_id DESC LIMIT $2`,
    values,
  );
  const items = rows.slice(0, q.limit).map((r) => ({
    fillId: r.fill_id,
    orderId: r.order_id,
    ticker: r.ticker,
    side: r.side,
    action: r.action,
    count: r.count,
    yesPrice: r.yes_price,
    noPrice: r.no_price,
    isTaker: r.is_taker,
    feeCents: r.fee_cents,
    createdAt: r.created_time.getTime(),
  }));
  const last = items.at(-1);
  return { items, nextBefore: rows.length > q.limit && last ? formatCursor(last.createdAt, last.fillId) : null };
}

/** A user's settlements, newest first (settled_time, then ticker), strictly before a cursor. */
export async function listSettlements(
  db: Db,
  q: { userId: string; limit: number; before: PageCursor | null },
): Promise<Page<SettlementRecord>> {
  const { clause, values } = beforeClause('settled_time', 'ticker', q.before, [q.userId, q.limit + 1]);
  const { rows } = await db.query<{
    ticker: string;
    market_result: 'yes' | 'no';
    yes_count: number;
    no_count: number;
    revenue_cents: string;
    settled_time: Date;
  }>(
    `SELECT * FROM account_settlement WHERE user_id = $1${clause} ORDER BY settled_time DESC, ticker DESC LIMIT $2`,
    values,
  );
  const items = rows.slice(0, q.limit).map((r) => ({
    ticker: r.ticker,
    marketResult: r.market_result,
    yesCount: r.yes_count,
    noCount: r.no_count,
    revenueCents: Number(r.revenue_cents),
    settledAt: r.settled_time.getTime(),
  }));
  const last = items.at(-1);
  return { items, nextBefore: rows.length > q.limit && last ? formatCursor(last.settledAt, last.ticker) : null };
}
