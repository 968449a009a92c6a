import { z } from 'zod';
import { ApiError, invalidParameters } from './api-error.js';

// What POST /portfolio/orders accepts. Only what the platform uses is supported: buy yes|no,
// fill_or_kill, a limit in cents (type `market` is accepted as a limit of 99). Anything else is
// a 400 with a stable code, never an exception.

/** Contracts available at the best ask of every market (the depth a fill-or-kill can take). */
export const DEFAULT_ASK_SIZE = 500;

const CLIENT_ORDER_ID = /^[\w\-:+=/.]{1,64}$/;

const OrderRequestSchema = z.object({
  ticker: z.string().min(1).max(100),
  client_order_id: z.string().regex(CLIENT_ORDER_ID).optional(),
  action: z.enum(['buy', 'sell']),
  side: z.enum(['yes', 'no']),
  count: z.number().int().min(1).max(1_000_000),
  type: z.enum(['limit', 'market']).default('limit'),
  yes_price: z.number().int().min(1).max(99).optional(),
  no_price: z.number().int().min(1).max(99).optional(),
  time_in_force: z.string().optional(),
  buy_max_cost: z.number().int().min(1).optional(),
});

/** A validated buy order. `limitCents` is the price limit of the ordered side. */
export interface OrderRequest {
  ticker: string;
  clientOrderId: string | undefined;
  side: 'yes' | 'no';
  count: number;
  type: 'limit' | 'market';
  limitCents: number;
  timeInForce: 'fill_or_kill';
  buyMaxCost: number | undefined;
}

/** The client_order_id of a body, if it has a usable one (so even a rejection can be remembered). */
export function clientOrderIdOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const id = (body as Record<string, unknown>).client_order_id;
  return typeof id === 'string' && CLIENT_ORDER_ID.test(id) ? id : undefined;
}

/** Validates an order body; throws ApiError 400 with a code naming what is wrong. */
export function parseOrderRequest(body: unknown): OrderRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidParameters('the order body must be a JSON object');
  }
  const parsed = OrderRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw invalidParameters(`${field}: ${issue?.message ?? 'invalid'}`);
  }
  const o = parsed.data;
  if (o.action !== 'buy') throw new ApiError(400, 'unsupported_action', 'only action=buy is supported');
  const tif = o.time_in_force ?? 'fill_or_kill';
  if (tif !== 'fill_or_kill') {
    throw new ApiError(400, 'unsupported_time_in_force', `time_in_force ${tif} is not supported; use fill_or_kill`);
  }
  let limitCents: number;
  if (o.type === 'market') {
    limitCents = 99;
  } else if ((o.yes_price === undefined) === (o.no_price === undefined)) {
    throw invalidParameters('exactly one of yes_price or no_price is required for a limit order');
  } else if (o.side === 'yes') {
    limitCents = o.yes_price ?? 100 - (o.no_price as number);
  } else {
    limitCents = o.no_price ?? 100 - (o.yes_price as number);
  }
  return {
    ticker: o.ticker,
    clientOrderId: o.client_order_id,
    side: o.side,
    count: o.count,
    type: o.type,
    limitCents,
    timeInForce: 'fill_or_kill',
    buyMaxCost: o.buy_max_cost,
  };
}

/**
 * The exchange's taker fee in cents: ceil(0.07 × count × P × (1 − P)) dollars rounded up to the
 * cent, P the price in dollars. Integer arithmetic: 7 × count × p × (100 − p) / 10000 cents.
 */
export function takerFeeCents(count: number, priceCents: number): number {
  const numerator = 7 * count * priceCents * (100 - priceCents);
  return Math.ceil(numerator / 10_000);
}
