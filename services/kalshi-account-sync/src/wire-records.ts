import type { Fill, MarketPosition, Order, Settlement } from '@recio/exchange-client';
import type { FillRecord, PositionRecord, SettlementRecord } from '@recio/platform';

/** An order as mirrored in `account_order`. */
export interface OrderRow {
  orderId: string;
  clientOrderId: string | null;
  ticker: string;
  side: string;
  action: string;
  status: string;
  yesPrice: number;
  noPrice: number;
  fillCount: number;
  /** Taker plus maker fees, null when the exchange reports neither. */
  feesCents: number | null;
  createdAt: number | null;
}

/** A settlement as mirrored in `account_settlement` (the result as the exchange wrote it). */
export interface SettlementRow {
  ticker: string;
  marketResult: string;
  yesCount: number;
  noCount: number;
  revenueCents: number;
  settledAt: number;
}

/**
 * Dollars as the exchange writes them ("0.0200") to integer cents, or null when absent or
 * unreadable. Decimal arithmetic on the digits (no binary floating point): a fraction of a cent
 * is rounded half away from zero.
 */
export function dollarsToCents(dollars: string | undefined | null): number | null {
  const m = dollars === undefined || dollars === null ? null : /^(-?)(\d+)(?:\.(\d+))?$/.exec(dollars.trim());
  if (!m) return null;
  const fraction = (m[3] ?? '').padEnd(3, '0');
  const cents = Number(m[2]) * 100 + Number(fraction.slice(0, 2)) + (Number(fraction[2]) >= 5 ? 1 : 0);
  return m[1] === '-' && cents !== 0 ? -cents : cents;
}

/** A fill's id: `fill_id` where the exchange sends it, else its `trade_id` (older API versions). */
export function fillIdOf(fill: Fill): string {
  return fill.fill_id ?? fill.trade_id;
}

/** A fill as the platform's FillRecord, or null for a fill of no contracts (nothing to record). */
export function toFillRecord(fill: Fill): FillRecord | null {
  if (fill.count < 1) return null;
  return {
    fillId: fillIdOf(fill),
    orderId: fill.order_id,
    ticker: fill.ticker,
    side: fill.side,
    action: fill.action,
    count: fill.count,
    yesPrice: fill.yes_price,
    noPrice: fill.no_price,
    isTaker: fill.is_taker,
    feeCents: dollarsToCents(fill.fee_cost),
    createdAt: Date.parse(fill.created_time),
  };
}

/** A position as the platform's PositionRecord (REST money is in cents). */
export function toPositionRecord(p: MarketPosition): PositionRecord {
  return {
    ticker: p.ticker,
    position: p.position,
    marketExposureCents: p.market_exposure,
    realizedPnlCents: p.realized_pnl,
    feesPaidCents: p.fees_paid,
  };
}

/** A settlement as stored. */
export function toSettlementRow(s: Settlement): SettlementRow {
  return {
    ticker: s.ticker,
    marketResult: s.market_result,
    yesCount: s.yes_count,
    noCount: s.no_count,
    revenueCents: s.revenue,
    settledAt: Date.parse(s.settled_time),
  };
}

/** A stored settlement as the platform's SettlementRecord, or null when its result is neither yes nor no. */
export function toSettlementRecord(row: SettlementRow): SettlementRecord | null {
  if (row.marketResult !== 'yes' && row.marketResult !== 'no') return null;
  return {
    ticker: row.ticker,
    marketResult: row.marketResult,
    yesCount: row.yesCount,
    noCount: row.noCount,
    revenueCents: row.revenueCents,
    settledAt: row.settledAt,
  };
}

/** An order as stored. */
export function toOrderRow(o: Order): OrderRow {
  const fees =
    o.taker_fees === undefined && o.maker_fees === undefined ? null : (o.taker_fees ?? 0) + (o.maker_fees ?? 0);
  const created = Date.parse(o.created_time);
  return {
    orderId: o.order_id,
    clientOrderId: o.client_order_id || null,
    ticker: o.ticker,
    side: o.side,
    action: o.action,
    status: o.status,
    yesPrice: o.yes_price,
    noPrice: o.no_price,
    fillCount: o.fill_count,
    feesCents: fees,
    createdAt: Number.isFinite(created) ? created : null,
  };
}
