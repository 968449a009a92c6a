import { MAX_TRADE_COUNT } from '@recio/domain';
import { z } from 'zod';

const Side = z.enum(['yes', 'no']);
const Cents = z.number().int();
const Ms = z.number().int().nonnegative();

/** Lifecycle states of a trade (DOMAIN.md "Trade lifecycle"). */
export const TradeStatus = z.enum(['pending', 'open', 'closing', 'closed', 'expired', 'error', 'cancelled']);
export type TradeStatus = z.infer<typeof TradeStatus>;

/** A trade as the trade manager holds it after a transition: every trade event carries one. */
export const TradeSnapshot = z.object({
  id: z.uuid(),
  userId: z.string().min(1),
  symbol: z.string(),
  eventTicker: z.string(),
  marketTicker: z.string(),
  strike: z.number(),
  side: Side,
  count: z.number().int().positive(),
  status: TradeStatus,
  statusReason: z.string().nullable(),
  entryMethod: z.enum(['manual', 'auto']),
  closeMethod: z.enum(['manual', 'auto', 'expired']).nullable(),
  closeReason: z.string().nullable(),
  limitPriceCents: Cents,
  buyPriceCents: Cents.nullable(),
  closeFillCents: Cents.nullable(),
  sellPriceCents: Cents.nullable(),
  feesCents: Cents,
  pnlCents: Cents.nullable(),
  winLoss: z.enum(['W', 'L']).nullable(),
  closeAttempts: z.number().int().nonnegative(),
  probability: z.number().nullable(),
  diff: z.number().nullable(),
  momentum: z.number().nullable(),
  volatility: z.number().nullable(),
  priceAtOpen: z.number().nullable(),
  priceAtClose: z.number().nullable(),
  marketCloseAt: Ms,
  createdAt: Ms,
  openedAt: Ms.nullable(),
  closingAt: Ms.nullable(),
  expiredAt: Ms.nullable(),
  closedAt: Ms.nullable(),
});
export type TradeSnapshot = z.infer<typeof TradeSnapshot>;

/** What a supervisor or a trader asks for: a new trade with its id chosen by the requester. */
export const OpenRequest = z.object({
  tradeId: z.uuid(),
  userId: z.string().min(1),
  symbol: z.string().default('btc'),
  eventTicker: z.string().min(1),
  marketTicker: z.string().min(1),
  strike: z.number().positive(),
  side: Side,
  count: z.number().int().positive().max(MAX_TRADE_COUNT),
  limitPriceCents: z.number().int().min(1).max(99),
  entryMethod: z.enum(['manual', 'auto']),
  probability: z.number().nullable(),
  diff: z.number().nullable(),
  momentum: z.number().nullable(),
  volatility: z.number().nullable(),
  priceAtOpen: z.number().nullable(),
  marketCloseAt: Ms,
  /** When the decision was made (the price tick's time for auto entries). */
  requestedAt: Ms,
});
export type OpenRequest = z.infer<typeof OpenRequest>;

/** A request to close an open trade. */
export const CloseRequest = z.object({
  tradeId: z.uuid(),
  userId: z.string().min(1),
  method: z.enum(['manual', 'auto']),
  reason: z.string(),
  priceAtClose: z.number().nullable(),
  requestedAt: Ms,
});
export type CloseRequest = z.infer<typeof CloseRequest>;

/** Which order of a trade: the entry, or the n-th attempt to close it. */
const Leg = z.enum(['open', 'close']);

/** The executor's report of a filled order (fill-or-kill: the whole count). */
export const OrderFilled = z.object({
  tradeId: z.uuid(),
  userId: z.string().min(1),
  leg: Leg,
  attempt: z.number().int().nonnegative(),
  orderId: z.string(),
  clientOrderId: z.string(),
  ticker: z.string(),
  side: Side,
  count: z.number().int().positive(),
  priceCents: z.number().int().min(1).max(99),
  feesCents: z.number().int().nonnegative(),
  filledAt: Ms,
});
export type OrderFilled = z.infer<typeof OrderFilled>;

/** The executor's report of an order the exchange refused. */
export const OrderRejected = z.object({
  tradeId: z.uuid(),
  userId: z.string().min(1),
  leg: Leg,
  attempt: z.number().int().nonnegative(),
  clientOrderId: z.string(),
  /** The exchange's error code (e.g. insufficient_resting_volume) or the client's. */
  code: z.string(),
  message: z.string(),
  rejectedAt: Ms,
});
export type OrderRejected = z.infer<typeof OrderRejected>;

/**
 * What every trade event but the requests carries: the trade after the transition, and `from`, the
 * status the transition left (the stored row's, read as it is written). `from` is absent on
 * `trade.created` (no status before) and on events published before the field existed. A trade
 * changes status only with one of these events, so `from` is also the `trade.status` of the
 * trade's previous event: a consumer can tell from one event what the one before it left.
 */
const snapshot = z.object({ trade: TradeSnapshot, from: TradeStatus.optional() });

/** Every event type of the `trades` class, on `trades:<user>`. */
export const TradeEvent = z.discriminatedUnion('type', [
  /** A supervisor (or a trader through the API) asks for a new trade. */
  z.object({ type: z.literal('trade.open_requested'), data: OpenRequest }),
  /** A supervisor (or a trader) asks to close an open trade. */
  z.object({ type: z.literal('trade.close_requested'), data: CloseRequest }),
  /** The trade manager wrote the trade `pending`; the executor places its order. */
  z.object({ type: z.literal('trade.created'), data: snapshot }),
  /** The entry order filled: the trade is `open`. */
  z.object({ type: z.literal('trade.opened'), data: snapshot }),
  /** A close was accepted: the trade is `closing`; the executor places the closing order. */
  z.object({ type: z.literal('trade.closing'), data: snapshot }),
  /**
   * The trade has been `closing` longer than the close timeout: the executor asks the exchange for
   * that attempt's order (filled → `order.filled`, else `order.rejected`). Repeated each timeout
   * until the exchange answers; the trade stays `closing` meanwhile.
   */
  z.object({ type: z.literal('trade.close_unconfirmed'), data: snapshot }),
  /** The closing order was refused: the trade is `open` again. */
  z.object({ type: z.literal('trade.close_failed'), data: snapshot }),
  /** The trade's hour closed while it was open. */
  z.object({ type: z.literal('trade.expired'), data: snapshot }),
  /** The trade ended: closed by an order or settled after expiry. */
  z.object({ type: z.literal('trade.closed'), data: snapshot }),
  /**
   * The entry order was refused for volume or balance, or had no outcome in time. The executor asks
   * the exchange for the order once more: a fill whose reply was lost opens the trade late, anything
   * else is reported as `order.rejected` (the cancellation confirmed).
   */
  z.object({ type: z.literal('trade.cancelled'), data: snapshot }),
  /**
   * A trade cancelled for no outcome whose entry order the exchange has not yet been asked about
   * successfully (the executor's answer did not come back within the close timeout): the executor
   * asks again (filled → `order.filled`, the trade opens late; else `order.rejected`, which confirms
   * the cancellation). Repeated each close timeout until it answers; the trade stays `cancelled`.
   */
  z.object({ type: z.literal('trade.entry_unconfirmed'), data: snapshot }),
  /** The entry order failed for another reason. */
  z.object({ type: z.literal('trade.error'), data: snapshot }),
  /** The executor's fill report. */
  z.object({ type: z.literal('order.filled'), data: OrderFilled }),
  /** The executor's rejection report. */
  z.object({ type: z.literal('order.rejected'), data: OrderRejected }),
]);
export type TradeEvent = z.infer<typeof TradeEvent>;
