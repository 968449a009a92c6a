import type { TradeSnapshot, TradeStatus } from '@recio/platform';
import { tradeSnapshotOfRow as toSnapshot, type TradeRow } from '@recio/service-kit';
import { formatCursor, type PageCursor } from './cursor.js';
import { beforeClause, type Db } from './db.js';

/** What {@link listTrades} returns. */
export interface TradePage {
  trades: TradeSnapshot[];
  /** `before=` of the next page; null on the last page. */
  nextBefore: string | null;
}

/**
 * A user's trades (every user's when `userId` is null: an admin's view), newest first (created_at,
 * then id), optionally of some statuses, strictly before a cursor. A user's: one index range scan on
 * trade_user_created.
 */
export async function listTrades(
  db: Db,
  q: { userId: string | null; statuses: readonly TradeStatus[] | null; limit: number; before: PageCursor | null },
): Promise<TradePage> {
  const base: unknown[] = [q.limit + 1];
  const where: string[] = [];
  if (q.userId !== null) {
    base.push(q.userId);
    where.push(`user_id = $${base.length}`);
  }
  if (q.statuses) {
    base.push(q.statuses);
    where.push(`status = ANY($${base.length}::text[])`);
  }
  const { clause, values } = beforeClause('created_at', 'id', q.before, base);
  const { rows } = await db.query<TradeRow>(
    `SELECT * FROM trade WHERE ${where.length > 0 ? where.join(' AND ') : 'true'}${clause} ORDER BY created_at DESC, id DESC LIMIT $1`,
    values,
  );
  // One row more than asked tells whether a next page exists without a count.
  const trades = rows.slice(0, q.limit).map(toSnapshot);
  const last = trades.at(-1);
  return { trades, nextBefore: rows.length > q.limit && last ? formatCursor(last.createdAt, last.id) : null };
}

/** One trade of one user; null when unknown or another user's. */
export async function findTrade(db: Db, userId: string, id: string): Promise<TradeSnapshot | null> {
  const { rows } = await db.query<TradeRow>('SELECT * FROM trade WHERE id = $1 AND user_id = $2', [id, userId]);
  return rows[0] ? toSnapshot(rows[0]) : null;
}
