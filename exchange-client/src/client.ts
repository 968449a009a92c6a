import type { z } from 'zod';
import {
  ExchangeOutcomeUnknownError,
  ExchangeRejectedError,
  ExchangeResponseError,
  InvalidOptionError,
} from './errors.js';
import { HttpTransport } from './http-transport.js';
import { encodeOrder, type OrderIntent } from './order-encoding.js';
import { parsePrivateKey } from './signing.js';
import {
  BalanceSchema,
  CreateOrderResponseSchema,
  ExchangeStatusSchema,
  GetEventResponseSchema,
  GetFillsResponseSchema,
  GetMarketsResponseSchema,
  GetOrdersResponseSchema,
  GetPositionsResponseSchema,
  GetSettlementsResponseSchema,
  type Balance,
  type ExchangeEvent,
  type ExchangeStatus,
  type Fill,
  type Market,
  type MarketPosition,
  type Order,
  type Settlement,
} from './wire.js';

/** Options of the exchange client. */
export interface ExchangeClientOptions {
  /** `https://api.elections.kalshi.com/trade-api/v2`, the demo base, or the paper exchange's. */
  baseUrl: string;
  /** API key id; required for /portfolio calls. @defaultValue undefined */
  keyId?: string;
  /** RSA private key PEM; required for /portfolio calls. @defaultValue undefined */
  privateKeyPem?: string;
  /** Per-attempt timeout. @defaultValue 10000 */
  timeoutMs?: number;
  /** Retries after the first attempt (429, 5xx, network, timeout). @defaultValue 4 */
  maxRetries?: number;
  /** First backoff ceiling; doubles per retry (full jitter). @defaultValue 250 */
  backoffBaseMs?: number;
  /** Largest backoff ceiling. @defaultValue 8000 */
  backoffMaxMs?: number;
  /** Client-side read throttle. @defaultValue 20 */
  readsPerSecond?: number;
  /** Client-side write throttle (a bucket of two seconds). @defaultValue 10 */
  writesPerSecond?: number;
  /** @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
  /** Clock of the signature timestamp (ms). @defaultValue Date.now */
  now?: () => number;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Filters of GET /markets (one page). */
export interface GetMarketsParams {
  event_ticker: string;
  status?: string;
  cursor?: string;
  limit?: number;
}

/** Filters of the portfolio lists; `limit` is the page size (≤ 100). */
export interface ListParams {
  ticker?: string;
  event_ticker?: string;
  limit?: number;
  [filter: string]: string | number | undefined;
}

/** Error codes by which an exchange reports a client_order_id it has already seen. */
export const DUPLICATE_ORDER_CODES: ReadonlySet<string> = new Set([
  'order_already_exists',
  'duplicate_order',
  'duplicate_client_order_id',
  'client_order_id_already_exists',
]);

const DEFAULTS = {
  timeoutMs: 10_000,
  maxRetries: 4,
  backoffBaseMs: 250,
  backoffMaxMs: 8_000,
  readsPerSecond: 20,
  writesPerSecond: 10,
} as const;

/** The trade API v2 client every service uses; prod, demo or paper by `baseUrl`. */
export class ExchangeClient {
  private readonly http: HttpTransport;

  constructor(options: ExchangeClientOptions) {
    const o = { ...DEFAULTS, ...options };
    let base: URL;
    try {
      base = new URL(o.baseUrl);
    } catch {
      throw new InvalidOptionError('baseUrl', `not a URL: ${JSON.stringify(o.baseUrl)}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw new InvalidOptionError('baseUrl', 'must be http(s)');
    if ((o.keyId === undefined) !== (o.privateKeyPem === undefined)) {
      throw new InvalidOptionError(
        o.keyId === undefined ? 'keyId' : 'privateKeyPem',
        'keyId and privateKeyPem go together',
      );
    }
    for (const name of ['timeoutMs', 'readsPerSecond', 'writesPerSecond', 'backoffMaxMs'] as const) {
      if (!(o[name] > 0 && Number.isFinite(o[name]))) throw new InvalidOptionError(name, `must be > 0, got ${o[name]}`);
    }
    if (!(Number.isInteger(o.maxRetries) && o.maxRetries >= 0))
      throw new InvalidOptionError('maxRetries', 'must be an integer >= 0');
    if (!(o.backoffBaseMs >= 0)) throw new InvalidOptionError('backoffBaseMs', 'must be >= 0');
    let privateKey;
    if (o.privateKeyPem !== undefined) {
      try {
        privateKey = parsePrivateKey(o.privateKeyPem);
      } catch (error) {
        throw new InvalidOptionError('privateKeyPem', `not a private key (${(error as Error).message})`);
      }
    }
    const fetchImpl = o.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new InvalidOptionError('fetch', 'no fetch implementation available');
    this.http = new HttpTransport({
      baseUrl: o.baseUrl,
      keyId: o.keyId,
      privateKey,
      timeoutMs: o.timeoutMs,
      maxRetries: o.maxRetries,
      backoffBaseMs: o.backoffBaseMs,
      backoffMaxMs: o.backoffMaxMs,
      readsPerSecond: o.readsPerSecond,
      writesPerSecond: o.writesPerSecond,
      fetch: fetchImpl.bind(globalThis),
      now: o.now ?? Date.now,
    });
  }

  /** GET /exchange/status. */
  getExchangeStatus(options?: CallOptions): Promise<ExchangeStatus> {
    return this.http.request(
      { method: 'GET', path: '/exchange/status', auth: false, schema: ExchangeStatusSchema },
      options?.signal,
    );
  }

  /** GET /events/{event_ticker}: the event and its markets (top level or nested, either way). */
  async getEvent(eventTicker: string, options?: CallOptions): Promise<{ event: ExchangeEvent; markets: Market[] }> {
    const body = await this.http.request(
      {
        method: 'GET',
        path: `/events/${encodeURIComponent(eventTicker)}`,
        auth: false,
        schema: GetEventResponseSchema,
      },
      options?.signal,
    );
    return { event: body.event, markets: body.markets ?? body.event.markets ?? [] };
  }

  /** GET /markets: one page. */
  async getMarkets(params: GetMarketsParams, options?: CallOptions): Promise<{ markets: Market[]; cursor: string }> {
    const body = await this.http.request(
      { method: 'GET', path: '/markets', query: { ...params }, auth: false, schema: GetMarketsResponseSchema },
      options?.signal,
    );
    return { markets: body.markets, cursor: body.cursor ?? '' };
  }

  /**
   * POST /portfolio/orders, encoded by `encodeOrder`. Idempotent by client_order_id: when the
   * exchange reports the id as a duplicate (a retried handler, a retried request whose reply was
   * lost), the original order is looked up and returned; never a second order. A duplicate whose
   * original is not listed (yet) throws ExchangeOutcomeUnknownError: not a refusal, ask again.
   */
  async createOrder(intent: OrderIntent, options?: CallOptions): Promise<Order> {
    const body = encodeOrder(intent);
    try {
      const reply = await this.http.request(
        { method: 'POST', path: '/portfolio/orders', body, auth: true, schema: CreateOrderResponseSchema },
        options?.signal,
      );
      return reply.order;
    } catch (error) {
      if (
        !(error instanceof ExchangeRejectedError) ||
        !(error.status === 409 || DUPLICATE_ORDER_CODES.has(error.exchangeCode))
      ) {
        throw error;
      }
      const original = await this.findOrderByClientOrderId(body.ticker, body.client_order_id, options);
      if (original) return original;
      throw new ExchangeOutcomeUnknownError(body.client_order_id, { cause: error });
    }
  }

  /** The order with this client_order_id on `ticker`, if the exchange has one. */
  async findOrderByClientOrderId(
    ticker: string,
    clientOrderId: string,
    options?: CallOptions,
  ): Promise<Order | undefined> {
    for await (const order of this.getOrders({ ticker }, options)) {
      if (order.client_order_id === clientOrderId) return order;
    }
    return undefined;
  }

  /** GET /portfolio/balance (cents). */
  getBalance(options?: CallOptions): Promise<Balance> {
    return this.http.request(
      { method: 'GET', path: '/portfolio/balance', auth: true, schema: BalanceSchema },
      options?.signal,
    );
  }

  /** Every order (all pages, newest first). */
  getOrders(params: ListParams = {}, options?: CallOptions): AsyncIterable<Order> {
    return this.paginate('/portfolio/orders', params, GetOrdersResponseSchema, (b) => b.orders, options);
  }

  /** Every fill (all pages, newest first). */
  getFills(params: ListParams = {}, options?: CallOptions): AsyncIterable<Fill> {
    return this.paginate('/portfolio/fills', params, GetFillsResponseSchema, (b) => b.fills, options);
  }

  /** Every market position (all pages). */
  getPositions(params: ListParams = {}, options?: CallOptions): AsyncIterable<MarketPosition> {
    return this.paginate(
      '/portfolio/positions',
      params,
      GetPositionsResponseSchema,
      (b) => b.market_positions,
      options,
    );
  }

  /** Every settlement (all pages, newest first). */
  getSettlements(params: ListParams = {}, options?: CallOptions): AsyncIterable<Settlement> {
    return this.paginate('/portfolio/settlements', params, GetSettlementsResponseSchema, (b) => b.settlements, options);
  }

  /** All orders in one array. */
  listOrdersAll(params?: ListParams, options?: CallOptions): Promise<Order[]> {
    return collect(this.getOrders(params, options));
  }

  /** All fills in one array. */
  listFillsAll(params?: ListParams, options?: CallOptions): Promise<Fill[]> {
    return collect(this.getFills(params, options));
  }

  /** All market positions in one array. */
  listPositionsAll(params?: ListParams, options?: CallOptions): Promise<MarketPosition[]> {
    return collect(this.getPositions(params, options));
  }

  /** All settlements in one array. */
  listSettlementsAll(params?: ListParams, options?: CallOptions): Promise<Settlement[]> {
    return collect(this.getSettlements(params, options));
  }

  private async *paginate<B extends { cursor?: string | null | undefined }, T>(
    path: string,
    params: ListParams,
    schema: z.ZodType<B>,
    items: (body: B) => T[],
    options: CallOptions | undefined,
  ): AsyncGenerator<T> {
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (;;) {
      const body = await this.http.request(
        { method: 'GET', path, query: { ...params, limit: params.limit ?? 100, cursor }, auth: true, schema },
        options?.signal,
      );
      const page = items(body);
      yield* page;
      const next = body.cursor ?? '';
      if (next === '' || page.length === 0) return;
      // A cursor seen before would page forever.
      if (seen.has(next)) throw new ExchangeResponseError(`GET ${path}: cursor ${next} repeated`);
      seen.add(next);
      cursor = next;
    }
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
