import { eventCloseMs, parseMarketTicker } from '@recio/domain';
import { OpenRequest } from '@recio/platform';
import { HttpError, parseInput, type ServiceContext } from '@recio/service-kit';
import { z } from 'zod';
import { TradeRequestError, type TradeBook } from './trade-book.js';
import { findTrade } from './trade-store.js';
import type { TradeRow } from '@recio/service-kit';

const UserId = z.string().regex(/^[a-z0-9_]{1,64}$/, 'expected a user id like user_0001');

const OpenBody = z.object({
  /** Required: opening is idempotent on it, so a retried request never makes a second trade. */
  tradeId: z.uuid(),
  userId: UserId,
  marketTicker: z.string().min(1).max(100),
  side: z.enum(['yes', 'no']),
  count: z.number().int().positive().max(10_000),
  limitPriceCents: z.number().int().min(1).max(99),
  entryMethod: z.enum(['manual', 'auto']).default('manual'),
  probability: z.number().min(0).max(100).nullable().default(null),
  diff: z.number().nullable().default(null),
  momentum: z.number().nullable().default(null),
  volatility: z.number().nullable().default(null),
  priceAtOpen: z.number().positive().nullable().default(null),
});

const CloseBody = z.object({
  userId: UserId,
  method: z.enum(['manual', 'auto']).default('manual'),
  reason: z.string().max(200).default('requested'),
});

const STATUS: Record<TradeRequestError['code'], number> = {
  TRADE_NOT_FOUND: 404,
  ILLEGAL_TRANSITION: 409,
  FORBIDDEN: 403,
  TRADE_CONFLICT: 409,
};

/**
 * The trade manager's REST API (for main-app and operators; NetworkPolicy keeps traders out):
 * open a trade, close one, read one. Opening is idempotent on `tradeId`.
 */
export function registerApi(ctx: ServiceContext, book: TradeBook): void {
  const { http, router, pool } = ctx;

  http.post('/trades', async (req, reply) => {
    const body = parseInput(OpenBody, req.body);
    let parsed: { eventTicker: string; strike: number };
    try {
      parsed = parseMarketTicker(body.marketTicker);
    } catch (err) {
      throw new HttpError(400, 'INVALID_TICKER', (err as Error).message);
    }
    const request = OpenRequest.parse({
      ...body,
      eventTicker: parsed.eventTicker,
      strike: parsed.strike,
      marketCloseAt: eventCloseMs(parsed.eventTicker),
      requestedAt: await feedNow(ctx),
    });
    if (request.marketCloseAt <= request.requestedAt)
      throw new HttpError(
        409,
        'MARKET_CLOSED',
        `${body.marketTicker} closed at ${new Date(request.marketCloseAt).toISOString()}`,
      );
    const { value } = await router.transaction((tx) => book.open(tx, request)).catch(toHttp);
    return reply.code(value.created ? 201 : 200).send({ trade: value.trade });
  });

  http.post('/trades/:id/close', async (req) => {
    const { id } = parseInput(z.object({ id: z.uuid() }), req.params, 'path');
    const body = parseInput(CloseBody, req.body ?? {});
    const requestedAt = await feedNow(ctx);
    const { value } = await router
      .transaction((tx) =>
        book.requestClose(tx, {
          tradeId: id,
          userId: body.userId,
          method: body.method,
          reason: body.reason,
          priceAtClose: null,
          requestedAt,
        }),
      )
      .catch(toHttp);
    return { trade: value };
  });

  http.get('/trades/:id', async (req) => {
    const { id } = parseInput(z.object({ id: z.uuid() }), req.params, 'path');
    const trade = await findTrade((text, values) => pool.query<TradeRow>(text, values), id);
    if (!trade) throw new HttpError(404, 'TRADE_NOT_FOUND', `no trade ${id}`);
    return { trade };
  });
}

function toHttp(err: unknown): never {
  if (err instanceof TradeRequestError) throw new HttpError(STATUS[err.code], err.code, err.message);
  throw err;
}

// The platform's "now" is the price feed's time (simulated with the paper world): the newest
// published second, so manual requests and feed-driven expiry agree. `prices:btc` is latest-value
// (its seq is the second's time in ms), so that is its stream's last seq, read from Redis; when Redis
// cannot say, the newest stored second (price_tick is written in batches: a few seconds behind).
async function feedNow(ctx: ServiceContext): Promise<number> {
  const head = await ctx.router
    .replay('prices:btc', { sinceSeq: Number.MAX_SAFE_INTEGER, limit: 1 })
    .then((page) => page.head)
    .catch(() => 0);
  if (head > 0) return head;
  const { rows } = await ctx.pool.query<{ at: Date | null }>(
    `SELECT max(ts) AS at FROM price_tick WHERE symbol = 'btc'`,
  );
  return rows[0]?.at?.getTime() ?? Date.now();
}
