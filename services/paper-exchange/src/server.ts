import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { registerAdminRoutes } from './admin-routes.js';
import { ApiError } from './api-error.js';
import { authenticate } from './auth.js';
import { duplicateItems, FaultInjector, faultCode, type FaultSpec } from './faults.js';
import { PriceFeedWebSocket } from './feed-ws.js';
import type { PriceShock } from './price-path.js';
import { API_PREFIX, registerRestRoutes } from './rest-routes.js';
import { TRADE_WS_PATH } from '@recio/exchange-client';
import { PAPER_FEED_PATH, paperExchangeEnv, servicePort } from '@recio/platform';
import { SimClock, type ClockMode } from './sim-clock.js';
import { TradeWebSocket } from './trade-ws.js';
import { World } from './world.js';

/** An account registered at start. */
export interface PaperAccount {
  keyId: string;
  publicKeyPem: string;
  balanceCents: number;
}

/** Options of startPaperExchange. */
export interface PaperExchangeOptions {
  /** 0 picks a free port. @defaultValue the catalogue's paper-exchange port */
  port?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** @defaultValue 1 */
  seed?: number | string;
  /** @defaultValue 'realtime' */
  clock?: ClockMode;
  /** Simulated start (ms). @defaultValue Date.now() */
  startMs?: number;
  /** Simulated seconds per wall second (realtime clock). @defaultValue 1 */
  speed?: number;
  /** @defaultValue 1 */
  tickSeconds?: number;
  /** @defaultValue 100000 */
  startPrice?: number;
  /** @defaultValue 0.5 */
  annualVolatility?: number;
  /** @defaultValue [] */
  shocks?: readonly PriceShock[];
  /** Contracts offered at each best ask. @defaultValue 500 */
  askSize?: number;
  /** @defaultValue [] */
  accounts?: readonly PaperAccount[];
  /** Enables /sim when set. @defaultValue undefined (admin API off) */
  adminToken?: string;
  /** A pino logger; @defaultValue undefined (no logs) */
  logger?: FastifyBaseLogger;
  /** Trade WebSocket ping interval. @defaultValue 10000 */
  pingIntervalMs?: number;
  /** Wall clock (signature window, realtime clock). @defaultValue Date.now */
  wallNow?: () => number;
}

/** A running paper exchange. */
export interface PaperExchange {
  /** REST base, `http://host:port/trade-api/v2`. */
  url: string;
  /** Trade WebSocket, `ws://host:port/trade-api/ws/v2`. */
  wsUrl: string;
  /** Coinbase-protocol price feed, `ws://host:port/coinbase`. */
  feedUrl: string;
  /** `http://host:port` (health, /sim). */
  origin: string;
  port: number;
  world: World;
  clock: SimClock;
  /** Drops every trade WebSocket connection (or one account's) abruptly. */
  dropConnections(keyId?: string): number;
  /** Stops the clock, closes WebSocket clients and the HTTP server. Idempotent. */
  close(): Promise<void>;
}

/** How long close() lets in-flight requests finish before cutting every connection. */
const CLOSE_GRACE_MS = 500;

function fastifyErrorCode(error: FastifyError, status: number): string {
  if (status === 415) return 'unsupported_media_type';
  if (status === 413) return 'payload_too_large';
  if (
    error instanceof SyntaxError ||
    error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
  ) {
    return 'invalid_json';
  }
  return status === 404 ? 'not_found' : 'bad_request';
}

/** Starts the paper exchange: REST, trade WebSocket, price feed and (with a token) the admin API. */
export async function startPaperExchange(options: PaperExchangeOptions = {}): Promise<PaperExchange> {
  const wallNow = options.wallNow ?? Date.now;
  const clock = new SimClock({
    mode: options.clock ?? 'realtime',
    startMs: options.startMs ?? wallNow(),
    speed: options.speed ?? 1,
    wallNow,
  });
  const world = new World({
    seed: options.seed ?? 1,
    startMs: clock.startMs,
    ...(options.startPrice !== undefined ? { startPrice: options.startPrice } : {}),
    ...(options.annualVolatility !== undefined ? { annualVolatility: options.annualVolatility } : {}),
    ...(options.shocks !== undefined ? { shocks: options.shocks } : {}),
    ...(options.tickSeconds !== undefined ? { tickSeconds: options.tickSeconds } : {}),
    ...(options.askSize !== undefined ? { askSize: options.askSize } : {}),
  });
  for (const account of options.accounts ?? [])
    world.ledger.addAccount(account.keyId, account.publicKeyPem, account.balanceCents);
  const sync = (): void => {
    world.advanceTo(clock.now());
  };

  // Requests are logged one by one only at debug (the platform polls several a second, which at info
  // buried everything else `make dev` prints); warnings and errors always.
  const app = options.logger
    ? Fastify({
        loggerInstance: options.logger,
        disableRequestLogging: !['debug', 'trace'].includes(options.logger.level),
      })
    : Fastify({ logger: false });
  const faults = new FaultInjector();
  const trade = new TradeWebSocket({
    world,
    ...(options.pingIntervalMs !== undefined ? { pingIntervalMs: options.pingIntervalMs } : {}),
  });
  const feed = new PriceFeedWebSocket(world);
  let closing: Promise<void> | undefined;

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send(error.body());
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      reply.log.error({ err: error }, 'request failed');
      return reply
        .code(500)
        .send({ error: { code: 'internal_error', message: 'internal error', service: 'paper-exchange' } });
    }
    return reply
      .code(status)
      .send({ error: { code: fastifyErrorCode(error, status), message: error.message, service: 'paper-exchange' } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );

  // Injected faults, test-only (queued through /sim/faults).
  const afterFaults = new WeakMap<FastifyRequest, FaultSpec>();
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith(`${API_PREFIX}/`)) return;
    const fault = faults.take(request.method, request.url.slice(API_PREFIX.length).split('?')[0] ?? '');
    if (!fault) return;
    if (fault.after || fault.duplicate) {
      afterFaults.set(request, fault);
      return;
    }
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    faults.answered(); // a delay alone ends here: the handler then answers normally
    if (fault.status !== undefined) {
      return reply.code(fault.status).send({ error: { code: faultCode(fault), message: 'injected fault' } });
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const fault = afterFaults.get(request);
    if (!fault) return payload;
    afterFaults.delete(request);
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    faults.answered();
    if (fault.duplicate && fault.status === undefined && reply.statusCode === 200 && typeof payload === 'string') {
      return duplicateItems(payload);
    }
    if (fault.status === undefined) return payload;
    reply.code(fault.status);
    return JSON.stringify({
      error: { code: faultCode(fault), message: 'injected fault after the request took effect' },
    });
  });

  // Scraped like every service (the charts' ServiceMonitors, the observability test's Prometheus):
  // the process's own metrics, and the faults it answered.
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'paper-exchange' });
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'recio_paper_faulted_answers',
    help: 'Answers the fault injection changed since the paper exchange started',
    registers: [registry],
    collect() {
      this.set(faults.answers().count);
    },
  });
  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    closing
      ? reply.code(503).send({ status: 'closing' })
      : { status: 'ready', now: new Date(world.nowMs()).toISOString() },
  );
  registerRestRoutes(app, { world, sync, wallNow });
  if (options.adminToken)
    registerAdminRoutes(app, { world, clock, faults, trade, adminToken: options.adminToken, sync });

  app.server.on('upgrade', (request, socket, head) => {
    const path = (request.url ?? '/').split('?')[0];
    const refuse = (status: number, code: string, message: string) => {
      const body = JSON.stringify({ error: { code, message } });
      socket.end(
        `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Not Found'}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    if (closing) return refuse(404, 'closing', 'server is shutting down');
    if (path === PAPER_FEED_PATH) return feed.accept(request, socket, head);
    if (path !== TRADE_WS_PATH) return refuse(404, 'not_found', `no WebSocket at ${path}`);
    try {
      sync();
      const account = authenticate(world.ledger, request.headers, 'GET', path, wallNow());
      trade.accept(request, socket, head, account.keyId);
    } catch (error) {
      if (error instanceof ApiError) refuse(error.status, error.code, error.message);
      else socket.destroy();
    }
  });

  await app.listen({ port: options.port ?? servicePort('paper-exchange'), host: options.host ?? '127.0.0.1' });
  const loop =
    clock.mode === 'realtime'
      ? setInterval(sync, Math.max(10, Math.round((world.tickSeconds * 1000) / clock.speed)))
      : undefined;

  const port = (app.server.address() as AddressInfo).port;
  const host =
    options.host === undefined || options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const origin = `http://${host}:${port}`;
  const endpoints = paperExchangeEnv(host, port);
  return {
    url: endpoints.EXCHANGE_BASE_URL,
    wsUrl: endpoints.EXCHANGE_WS_URL,
    feedUrl: endpoints.PRICE_FEED_URL,
    origin,
    port,
    world,
    clock,
    dropConnections: (keyId) => trade.drop(keyId),
    close: () => {
      closing ??= (async () => {
        // Reverse order of acquisition, each step on its own.
        if (loop) clearInterval(loop);
        try {
          trade.close();
        } catch {
          /* keep closing */
        }
        try {
          feed.close();
        } catch {
          /* keep closing */
        }
        // In-flight requests get a moment; then connections that never sent a request (a
        // client's pre-opened keep-alive socket) would hold close() up for seconds: cut them.
        const force = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
        try {
          await app.close();
        } finally {
          clearTimeout(force);
        }
      })();
      return closing;
    },
  };
}
