import { ExchangeError } from './errors.js';
import type { CreateOrderRequest } from './wire.js';

/** What the platform wants to buy: `count` contracts of `side` at no more than `limitCents` (the ask). */
export interface OrderIntent {
  ticker: string;
  side: 'yes' | 'no';
  count: number;
  /** The ask seen when deciding, in cents 1..99: the order is a marketable limit there. */
  limitCents: number;
  /** The idempotency key: the platform passes the trade's id. */
  clientOrderId: string;
}

/** An order intent the exchange would refuse anyway; nothing was sent. */
export class InvalidOrderError extends ExchangeError {
  constructor(message: string) {
    super('INVALID_ORDER', message);
  }
}

/**
 * The one place an order is encoded for the exchange. The API is moving (cents → fixed-point
 * dollars, a V2 order shape); when it does, only this function changes. Every order is a buy,
 * a marketable limit at the ask, fill-or-kill, with buy_max_cost = count × limit as a cap.
 */
export function encodeOrder(intent: OrderIntent): CreateOrderRequest {
  if (!intent.ticker) throw new InvalidOrderError('ticker is required');
  if (!intent.clientOrderId) throw new InvalidOrderError('clientOrderId is required (it is the idempotency key)');
  if (!Number.isInteger(intent.count) || intent.count < 1)
    throw new InvalidOrderError(`count must be an integer >= 1, got ${intent.count}`);
  if (!Number.isInteger(intent.limitCents) || intent.limitCents < 1 || intent.limitCents > 99) {
    throw new InvalidOrderError(`limitCents must be an integer 1..99, got ${intent.limitCents}`);
  }
  return {
    ticker: intent.ticker,
    client_order_id: intent.clientOrderId,
    action: 'buy',
    side: intent.side,
    count: intent.count,
    type: 'limit',
    ...(intent.side === 'yes' ? { yes_price: intent.limitCents } : { no_price: intent.limitCents }),
    time_in_force: 'fill_or_kill',
    buy_max_cost: intent.count * intent.limitCents,
  };
}
