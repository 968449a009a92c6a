import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TRADE_API_PATH, type Fill, type Order, type Settlement } from '@recio/exchange-client';
import { ApiError, invalidParameters } from './api-error.js';
import { authenticate } from './auth.js';
import { toWirePosition, type Account, type Sequenced } from './ledger.js';
import { MAX_PORTFOLIO_LIMIT, pageByKey, pageBySeq, parseLimit } from './pagination.js';
import type { SimMarket } from './market-book.js';
import type { World } from './world.js';

/** Mount point of the REST API. */
export const API_PREFIX = TRADE_API_PATH;
/** Largest `limit` of GET /markets (the exchange allows 1000 there). */
export const MAX_MARKETS_LIMIT = 1000;

/** What the routes need from the server. */
export interface RestContext {
  world: World;
  /** Brings the world up to the clock's now (a no-op for a stepped clock). */
  sync(): void;
  /** Wall clock for the signature window. */
  wallNow(): number;
}

type Query = Record<string, string | undefined>;

function query(request: FastifyRequest): Query {
  return (request.query ?? {}) as Query;
}

function filterSeq<T>(items: readonly Sequenced<T>[], keep: (item: T) => boolean): { seq: number; item: T }[] {
  return items.filter((entry) => keep(entry.item));
}

const MARKET_STATUS_FILTERS: Readonly<Record<string, 'active' | 'settled' | 'none'>> = {
  open: 'active',
  active: 'active',
  settled: 'settled',
  closed: 'none', // markets settle at the close second here: nothing is closed-but-unsettled
  unopened: 'none', // future hours are not listed before they open
};

/** Registers the public and the signed (/portfolio) routes of the trade API. */
export function registerRestRoutes(app: FastifyInstance, ctx: RestContext): void {
  app.register(
    async (api) => {
      api.addHook('onRequest', async () => ctx.sync());

      api.get('/exchange/status', async () => ({ exchange_active: true, trading_active: true }));

      api.get<{ Params: { event_ticker: string } }>('/events/:event_ticker', async (request) => {
        const event = ctx.world.book.event(request.params.event_ticker);
        if (!event) throw new ApiError(404, 'not_found', `no event ${request.params.event_ticker}`);
        const sec = ctx.world.nowSec();
        return {
          event: ctx.world.book.toWireEvent(event),
          markets: event.markets.map((m) => ctx.world.book.toWireMarket(m, sec)),
        };
      });

      api.get('/markets', async (request) => {
        const q = query(request);
        const limit = parseLimit(q.limit, MAX_MARKETS_LIMIT);
        const book = ctx.world.book;
        let markets: SimMarket[] = q.event_ticker
          ? q.event_ticker.split(',').flatMap((t) => book.event(t.trim())?.markets ?? [])
          : book.allEvents().flatMap((e) => e.markets);
        if (q.tickers) {
          const wanted = new Set(q.tickers.split(',').map((t) => t.trim()));
          markets = markets.filter((m) => wanted.has(m.ticker));
        }
        if (q.status) {
          const status = MARKET_STATUS_FILTERS[q.status];
          if (!status) throw invalidParameters(`status: one of ${Object.keys(MARKET_STATUS_FILTERS).join(', ')}`);
          markets = markets.filter((m) => book.status(m) === status);
        }
        const page = pageByKey(markets, (m) => m.ticker, limit, q.cursor);
        const sec = ctx.world.nowSec();
        return { markets: page.items.map((m) => book.toWireMarket(m, sec)), cursor: page.cursor };
      });

      // Everything under /portfolio is signed; authentication runs before the body is parsed.
      api.register(async (portfolio) => {
        const accounts = new WeakMap<FastifyRequest, Account>();
        const account = (request: FastifyRequest): Account => accounts.get(request) as Account;
        portfolio.addHook('onRequest', async (request) => {
          accounts.set(
            request,
            authenticate(ctx.world.ledger, request.headers, request.method, request.url, ctx.wallNow()),
          );
        });

        portfolio.post('/portfolio/orders', async (request, reply) => {
          const outcome = ctx.world.placeOrder(account(request).keyId, request.body);
          return reply.code(outcome.status).send(outcome.body);
        });

        portfolio.get('/portfolio/balance', async (request) => ({
          balance: account(request).balance,
          updated_ts: ctx.world.nowSec(),
        }));

        portfolio.get('/portfolio/orders', async (request) => {
          const q = query(request);
          const limit = parseLimit(q.limit, MAX_PORTFOLIO_LIMIT);
          const items = filterSeq<Order>(
            account(request).orders,
            (o) =>
              (!q.ticker || o.ticker === q.ticker) &&
              (!q.event_ticker || eventOf(o.ticker) === q.event_ticker) &&
              (!q.status || o.status === q.status),
          );
          const page = pageBySeq(items, limit, q.cursor);
          return { orders: page.items.map((e) => e.item), cursor: page.cursor };
        });

        portfolio.get('/portfolio/fills', async (request) => {
          const q = query(request);
          const limit = parseLimit(q.limit, MAX_PORTFOLIO_LIMIT);
          const items = filterSeq<Fill>(
            account(request).fills,
            (f) => (!q.ticker || f.ticker === q.ticker) && (!q.order_id || f.order_id === q.order_id),
          );
          const page = pageBySeq(items, limit, q.cursor);
          return { fills: page.items.map((e) => e.item), cursor: page.cursor };
        });

        portfolio.get('/portfolio/settlements', async (request) => {
          const q = query(request);
          const limit = parseLimit(q.limit, MAX_PORTFOLIO_LIMIT);
          const items = filterSeq<Settlement>(
            account(request).settlements,
            (s) => (!q.ticker || s.ticker === q.ticker) && (!q.event_ticker || s.event_ticker === q.event_ticker),
          );
          const page = pageBySeq(items, limit, q.cursor);
          return { settlements: page.items.map((e) => e.item), cursor: page.cursor };
        });

        portfolio.get('/portfolio/positions', async (request) => {
          const q = query(request);
          const limit = parseLimit(q.limit, MAX_PORTFOLIO_LIMIT);
          const positions = [...account(request).positions.values()].filter(
            (p) => (!q.ticker || p.ticker === q.ticker) && (!q.event_ticker || p.eventTicker === q.event_ticker),
          );
          const page = pageByKey(positions, (p) => p.ticker, limit, q.cursor);
          const events = new Map<
            string,
            {
              event_ticker: string;
              event_exposure: number;
              realized_pnl: number;
              fees_paid: number;
              total_cost: number;
            }
          >();
          for (const p of page.items) {
            const e = events.get(p.eventTicker) ?? {
              event_ticker: p.eventTicker,
              event_exposure: 0,
              realized_pnl: 0,
              fees_paid: 0,
              total_cost: 0,
            };
            e.event_exposure += p.cost;
            e.realized_pnl += p.realizedPnl;
            e.fees_paid += p.feesPaid;
            e.total_cost += p.totalTraded;
            events.set(p.eventTicker, e);
          }
          return {
            market_positions: page.items.map(toWirePosition),
            event_positions: [...events.values()],
            cursor: page.cursor,
          };
        });
      });
    },
    { prefix: API_PREFIX },
  );
}

// Market tickers are `${event_ticker}-T${strike}`.
function eventOf(ticker: string): string {
  const cut = ticker.lastIndexOf('-');
  return cut === -1 ? ticker : ticker.slice(0, cut);
}
