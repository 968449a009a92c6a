import { TradeStatus } from '@recio/platform';
import { HttpError, parseInput, type ServiceContext } from '@recio/service-kit';
import { z } from 'zod';
import { principalOf, readUser, writeUser } from '../auth.js';
import { Cursor, PageLimit } from '../cursor.js';
import type { Db } from '../db.js';
import type { TradeManagerClient } from '../trade-manager-client.js';
import { findTrade, listTrades } from '../trade-query.js';
import { UserQuery, type Api } from './api.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const ListQuery = UserQuery.extend({
  /** One status or several, comma-separated (`pending,open,closing` = the live trades). */
  status: z
    .string()
    .transform((s) => s.split(','))
    .pipe(z.array(TradeStatus).min(1))
    .optional(),
  limit: PageLimit,
  before: Cursor.refine((c) => c.id === null || UUID.test(c.id), 'the id part must be a trade id').optional(),
  /** `all=1`: every user's trades (admins only). */
  all: z.literal('1').optional(),
});

const IdParams = z.object({ id: z.uuid() });

const OpenBody = z.object({
  marketTicker: z.string().min(1).max(100),
  side: z.enum(['yes', 'no']),
  count: z.number().int().positive().max(10_000),
  limitPriceCents: z.number().int().min(1).max(99),
  /**
   * Chosen by the client so that a retried request is safe (the trade manager opens once per id);
   * required here or as the Idempotency-Key header.
   */
  tradeId: z.uuid().optional(),
});

const IdempotencyHeader = z.object({ 'idempotency-key': z.uuid().optional() });

/**
 * The trade id of an order request: the body's `tradeId` or the `Idempotency-Key` header (the same
 * if both are given). Required: a request without one could not be retried without a second order.
 */
function tradeIdOf(bodyId: string | undefined, headers: unknown): string {
  const headerId = parseInput(IdempotencyHeader, headers, 'headers')['idempotency-key'];
  if (bodyId && headerId && bodyId.toLowerCase() !== headerId.toLowerCase())
    throw new HttpError(400, 'IDEMPOTENCY_KEY_MISMATCH', 'tradeId and the Idempotency-Key header differ');
  const id = bodyId ?? headerId;
  if (!id)
    throw new HttpError(
      400,
      'IDEMPOTENCY_KEY_REQUIRED',
      'an order needs tradeId (a UUID of your choosing) or an Idempotency-Key header: a retried request then never opens a second trade',
    );
  return id;
}

/** What the trade routes use. */
export interface TradeRouteDeps {
  db: Db;
  tradeManager: TradeManagerClient;
  logger: ServiceContext['logger'];
}

/**
 * The trades of the authenticated user: read from the trade table, opened and closed through
 * the trade manager (which owns the state machine); requests are rate limited per user by the
 * API scope (rate-limit.ts).
 */
export function registerTradeRoutes(api: Api, deps: TradeRouteDeps): void {
  const { db, tradeManager, logger } = deps;

  api.get('/trades', async (req) => {
    const q = parseInput(ListQuery, req.query, 'query');
    const principal = principalOf(req);
    if (q.all !== undefined && !principal.admin)
      throw new HttpError(403, 'FORBIDDEN', "only an admin may read every user's trades");
    if (q.all !== undefined && q.user !== undefined)
      throw new HttpError(400, 'INVALID_REQUEST', 'query: all=1 or user=, not both');
    const userId = q.all === undefined ? readUser(principal, q.user) : null;
    return listTrades(db, { userId, statuses: q.status ?? null, limit: q.limit, before: q.before ?? null });
  });

  api.get('/trades/:id', async (req) => {
    const { id } = parseInput(IdParams, req.params, 'path');
    const userId = readUser(principalOf(req), parseInput(UserQuery, req.query, 'query').user);
    // Another user's trade is answered like an unknown one: ids are not to be probed.
    const trade = await findTrade(db, userId, id);
    if (!trade) throw new HttpError(404, 'TRADE_NOT_FOUND', `no trade ${id}`);
    return { trade };
  });

  api.post('/trades', async (req, reply) => {
    const userId = writeUser(principalOf(req), parseInput(UserQuery, req.query, 'query').user);
    const body = parseInput(OpenBody, req.body);
    const tradeId = tradeIdOf(body.tradeId, req.headers);
    // Built field by field: the user and the entry method never come from the client.
    const answer = await tradeManager.open({ ...body, tradeId, userId, entryMethod: 'manual' });
    logger.info(
      { userId, marketTicker: body.marketTicker, side: body.side, count: body.count, status: answer.status },
      'order forwarded: open',
    );
    return reply.code(answer.status).send(answer.body);
  });

  api.post('/trades/:id/close', async (req, reply) => {
    const userId = writeUser(principalOf(req), parseInput(UserQuery, req.query, 'query').user);
    const { id } = parseInput(IdParams, req.params, 'path');
    const answer = await tradeManager.close(id, { userId, method: 'manual' });
    logger.info({ userId, tradeId: id, status: answer.status }, 'order forwarded: close');
    return reply.code(answer.status).send(answer.body);
  });
}
