import type { TradeSnapshot } from '@recio/platform';

/** A `trade` row as node-postgres returns it (numerics as strings, times as Dates): the trade
 * manager writes it, main-app reads it; both map it to the snapshot here. */
export interface TradeRow {
  id: string;
  user_id: string;
  symbol: string;
  event_ticker: string;
  market_ticker: string;
  strike: string;
  side: 'yes' | 'no';
  count: number;
  status: TradeSnapshot['status'];
  status_reason: string | null;
  entry_method: 'manual' | 'auto';
  close_method: 'manual' | 'auto' | 'expired' | null;
  close_reason: string | null;
  limit_price_cents: number;
  buy_price_cents: number | null;
  close_fill_cents: number | null;
  sell_price_cents: number | null;
  fees_cents: number;
  pnl_cents: number | null;
  win_loss: 'W' | 'L' | null;
  close_attempts: number;
  probability: string | null;
  diff: string | null;
  momentum: string | null;
  volatility: string | null;
  price_at_open: string | null;
  price_at_close: string | null;
  market_close_at: Date;
  created_at: Date;
  opened_at: Date | null;
  closing_at: Date | null;
  expired_at: Date | null;
  closed_at: Date | null;
  /** A trade cancelled for no outcome whose entry the exchange has not yet been asked about successfully. */
  entry_unconfirmed: boolean;
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));
const ms = (v: Date | null): number | null => (v === null ? null : v.getTime());

/** The snapshot every trade event carries, from its row. */
export function toSnapshot(r: TradeRow): TradeSnapshot {
  return {
    id: r.id,
    userId: r.user_id,
    symbol: r.symbol,
    eventTicker: r.event_ticker,
    marketTicker: r.market_ticker,
    strike: Number(r.strike),
    side: r.side,
    count: r.count,
    status: r.status,
    statusReason: r.status_reason,
    entryMethod: r.entry_method,
    closeMethod: r.close_method,
    closeReason: r.close_reason,
    limitPriceCents: r.limit_price_cents,
    buyPriceCents: r.buy_price_cents,
    closeFillCents: r.close_fill_cents,
    sellPriceCents: r.sell_price_cents,
    feesCents: r.fees_cents,
    pnlCents: r.pnl_cents,
    winLoss: r.win_loss,
    closeAttempts: r.close_attempts,
    probability: num(r.probability),
    diff: num(r.diff),
    momentum: num(r.momentum),
    volatility: num(r.volatility),
    priceAtOpen: num(r.price_at_open),
    priceAtClose: num(r.price_at_close),
    marketCloseAt: r.market_close_at.getTime(),
    createdAt: r.created_at.getTime(),
    openedAt: ms(r.opened_at),
    closingAt: ms(r.closing_at),
    expiredAt: ms(r.expired_at),
    closedAt: ms(r.closed_at),
  };
}
