import type { Side } from '@recio/domain';
import type { TradeSnapshot } from '@recio/platform';
import type { PlatformTransaction, Reader } from '@recio/service-kit';

/** An open trade the supervisor watches. */
export interface SupervisedTrade {
  tradeId: string;
  userId: string;
  marketTicker: string;
  strike: number;
  side: Side;
  count: number;
  buyPriceCents: number;
  openedAt: number;
  marketCloseAt: number;
  verificationStartedAt: number | null;
}

/** A supervised_trade row as the driver returns it. */
interface SupervisedRow {
  trade_id: string;
  user_id: string;
  market_ticker: string;
  strike: string;
  side: Side;
  count: number;
  buy_price_cents: number;
  opened_at: Date;
  market_close_at: Date;
  verification_started_at: Date | null;
}

const fromRow = (r: SupervisedRow): SupervisedTrade => ({
  tradeId: r.trade_id,
  userId: r.user_id,
  marketTicker: r.market_ticker,
  strike: Number(r.strike),
  side: r.side,
  count: r.count,
  buyPriceCents: r.buy_price_cents,
  openedAt: r.opened_at.getTime(),
  marketCloseAt: r.market_close_at.getTime(),
  verificationStartedAt: r.verification_started_at?.getTime() ?? null,
});

/** Starts watching a trade that opened (idempotent); resolves to the row as stored. */
export async function watch(tx: PlatformTransaction, t: TradeSnapshot): Promise<SupervisedTrade> {
  const { rows } = await tx.query<SupervisedRow>(
    `INSERT INTO supervised_trade (trade_id, user_id, market_ticker, strike, side, count, buy_price_cents, opened_at, market_close_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (trade_id) DO UPDATE SET close_requested_at = NULL, verification_started_at = NULL
     RETURNING *`,
    [
      t.id,
      t.userId,
      t.marketTicker,
      t.strike,
      t.side,
      t.count,
      t.buyPriceCents,
      new Date(t.openedAt ?? t.createdAt),
      new Date(t.marketCloseAt),
    ],
  );
  return fromRow(rows[0]!);
}

/** Stops watching a trade that is closing or gone. */
export async function unwatch(tx: PlatformTransaction, tradeId: string): Promise<void> {
  await tx.query('DELETE FROM supervised_trade WHERE trade_id = $1', [tradeId]);
}

/** Open trades without a close under way, locked for the tick. */
export async function watchedTrades(tx: Reader, lock = true): Promise<SupervisedTrade[]> {
  const { rows } = await tx.query<SupervisedRow>(
    `SELECT * FROM supervised_trade WHERE close_requested_at IS NULL ORDER BY trade_id${lock ? ' FOR UPDATE' : ''}`,
  );
  return rows.map(fromRow);
}

/**
 * `trades` (in trade id order, as watchedTrades returns them) with `trade` in its place: what the
 * copy holds after a commit that watched it (VersionedState.changed's update).
 */
export function withWatched(trades: readonly SupervisedTrade[], trade: SupervisedTrade): SupervisedTrade[] {
  const next = trades.filter((t) => t.tradeId !== trade.tradeId);
  next.push(trade);
  return next.sort((a, b) => (a.tradeId < b.tradeId ? -1 : a.tradeId > b.tradeId ? 1 : 0));
}

/** Records the supervisor's stop state of a trade. */
export async function markTrade(
  tx: PlatformTransaction,
  tradeId: string,
  change: { verificationStartedAt?: number | null; closeRequestedAt?: number },
): Promise<void> {
  if (change.closeRequestedAt !== undefined) {
    await tx.query('UPDATE supervised_trade SET close_requested_at = $2 WHERE trade_id = $1', [
      tradeId,
      new Date(change.closeRequestedAt),
    ]);
  }
  if (change.verificationStartedAt !== undefined) {
    const at = change.verificationStartedAt === null ? null : new Date(change.verificationStartedAt);
    await tx.query('UPDATE supervised_trade SET verification_started_at = $2 WHERE trade_id = $1', [tradeId, at]);
  }
}
