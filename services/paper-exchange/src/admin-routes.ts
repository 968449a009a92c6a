import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError, invalidParameters } from './api-error.js';
import { FaultSpecSchema, type FaultInjector } from './faults.js';
import { toWirePosition } from './ledger.js';
import type { SimClock } from './sim-clock.js';
import type { TradeWebSocket } from './trade-ws.js';
import type { World } from './world.js';

/** What the admin API drives. */
export interface AdminContext {
  world: World;
  clock: SimClock;
  faults: FaultInjector;
  trade: TradeWebSocket;
  adminToken: string;
  /** Brings the world up to the clock's now. */
  sync(): void;
}

const AdvanceSchema = z.object({
  seconds: z
    .number()
    .min(0)
    .max(31 * 86_400),
});
const AccountSchema = z.object({
  key_id: z.string().min(1).max(200),
  public_key_pem: z.string().min(1),
  balance_cents: z.number().int().min(0),
});
const DisconnectSchema = z.object({ key_id: z.string().optional() }).default({});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw invalidParameters(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

function tokenMatches(request: FastifyRequest, token: string): boolean {
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '', 'utf8');
  const expected = Buffer.from(token, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The world's summary: simulated now, price, current event, per-account counts and balances. */
export function simState(ctx: AdminContext): unknown {
  const { world } = ctx;
  const event = world.book.activeEvent();
  return {
    now: new Date(world.nowMs()).toISOString(),
    now_ms: world.nowMs(),
    clock: ctx.clock.mode,
    price: world.price(),
    current_event: event
      ? {
          event_ticker: event.eventTicker,
          close_time: new Date(event.closeSec * 1000).toISOString(),
          markets: event.markets.length,
        }
      : null,
    accounts: world.ledger.allAccounts().map((a) => ({
      key_id: a.keyId,
      balance: a.balance,
      orders: a.orders.length,
      fills: a.fills.length,
      settlements: a.settlements.length,
      rejections: a.rejections.length,
    })),
    faults_pending: ctx.faults.pending(),
    faults_answered: ctx.faults.answers().count,
    fault_last_answered_at: ctx.faults.answers().lastAt?.toISOString() ?? null,
    ws_connections: ctx.trade.connectionCount(),
  };
}

/** Registers /sim: state, clock advance, accounts, ledger, faults, disconnects (bearer token). */
export function registerAdminRoutes(app: FastifyInstance, ctx: AdminContext): void {
  app.register(
    async (sim) => {
      sim.addHook('onRequest', async (request) => {
        if (!tokenMatches(request, ctx.adminToken))
          throw new ApiError(401, 'unauthorized', 'admin bearer token required');
        ctx.sync();
      });

      sim.get('/state', async () => simState(ctx));

      sim.post('/advance', async (request) => {
        const { seconds } = parse(AdvanceSchema, request.body);
        if (ctx.clock.mode !== 'stepped')
          throw new ApiError(409, 'clock_not_stepped', 'the clock is realtime; start with PAPER_CLOCK=stepped');
        ctx.clock.advance(seconds);
        // Every tick, settlement and message in between happens before this answers.
        ctx.world.advanceTo(ctx.clock.now());
        return simState(ctx);
      });

      sim.post('/accounts', async (request, reply) => {
        const body = parse(AccountSchema, request.body);
        const account = ctx.world.ledger.addAccount(body.key_id, body.public_key_pem, body.balance_cents);
        return reply.code(201).send({ key_id: account.keyId, balance: account.balance });
      });

      sim.get('/ledger', async (request) => {
        const keyId = (request.query as Record<string, string | undefined>).key_id;
        if (!keyId) throw invalidParameters('key_id is required');
        const account = ctx.world.ledger.account(keyId);
        if (!account) throw new ApiError(404, 'not_found', `no account ${keyId}`);
        return {
          key_id: account.keyId,
          starting_balance: account.startingBalance,
          balance: account.balance,
          orders: account.orders.map((e) => e.item),
          fills: account.fills.map((e) => e.item),
          settlements: account.settlements.map((e) => e.item),
          rejections: account.rejections,
          positions: [...account.positions.values()].map(toWirePosition),
        };
      });

      sim.post('/faults', async (request, reply) => {
        ctx.faults.add(parse(FaultSpecSchema, request.body));
        return reply.code(201).send({ faults_pending: ctx.faults.pending() });
      });

      sim.delete('/faults', async () => {
        ctx.faults.clear();
        return { faults_pending: 0 };
      });

      sim.post('/disconnect', async (request) => {
        const { key_id } = parse(DisconnectSchema, request.body);
        return { dropped: ctx.trade.drop(key_id) };
      });
    },
    { prefix: '/sim' },
  );
}
