import helmet from '@fastify/helmet';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { HttpError } from './http-error.js';

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions {
  logger: Logger;
  registry: Registry;
  /** Whether the service can do its work (Redis, PostgreSQL, its consumers); `/readyz` answers 503 otherwise. */
  ready: () => Promise<{ ok: boolean; detail?: Record<string, boolean> }>;
  /**
   * Whether the process is making progress; `/healthz` answers 503 otherwise, and the kubelet
   * restarts the container. @defaultValue always (the process answers)
   */
  live?: () => boolean;
  /** Largest request body. @defaultValue 65536 */
  bodyLimit?: number;
  /** Time a request may take to arrive whole, headers and body (slow clients are cut off). @defaultValue 30000 */
  requestTimeoutMs?: number;
  /** Time the request headers may take to arrive (slowloris). @defaultValue 15000 */
  headersTimeoutMs?: number;
  /**
   * How long an idle keep-alive connection is kept: longer than a proxy's own (nginx 60 s), so the
   * proxy, not the service, closes it and never sends on a connection being closed. @defaultValue 65000
   */
  keepAliveTimeoutMs?: number;
}

/**
 * Fastify's client errors as the platform's stable codes (a framework's code may change with its
 * version; a client's handling of ours must not). Any other client error is BAD_REQUEST.
 */
const FRAMEWORK_ERROR_CODES: ReadonlyMap<string, string> = new Map([
  ['FST_ERR_CTP_INVALID_JSON_BODY', 'INVALID_JSON'],
  ['FST_ERR_CTP_EMPTY_JSON_BODY', 'INVALID_JSON'],
  ['FST_ERR_CTP_BODY_TOO_LARGE', 'PAYLOAD_TOO_LARGE'],
  ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 'UNSUPPORTED_MEDIA_TYPE'],
  ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'BAD_REQUEST'],
]);

/** The timeouts every service's HTTP server has unless told otherwise. */
export const HTTP_TIMEOUTS = { requestTimeoutMs: 30_000, headersTimeoutMs: 15_000, keepAliveTimeoutMs: 65_000 };

declare module 'fastify' {
  interface FastifyInstance {
    /** Stops accepting, lets requests under way finish (up to `deadlineMs`), then closes every connection. */
    drain(deadlineMs: number): Promise<void>;
  }
}

/**
 * The HTTP server of a service: `/healthz` (the process answers and makes progress), `/readyz`, `/metrics`, and
 * errors as `{ error: { code, message } }` (HttpError, malformed JSON, unknown routes) — a bad
 * request never reaches a handler unvalidated and never crashes the process. Every answer carries
 * helmet's security headers (CSP `default-src 'self'`, nosniff, frame-ancestors none, HSTS,
 * no Referer across origins, ...); slow or idle clients are cut off by the timeouts above.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const t = {
    requestTimeoutMs: options.requestTimeoutMs ?? HTTP_TIMEOUTS.requestTimeoutMs,
    headersTimeoutMs: options.headersTimeoutMs ?? HTTP_TIMEOUTS.headersTimeoutMs,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? HTTP_TIMEOUTS.keepAliveTimeoutMs,
  };
  // Requests are not logged one by one (metrics count them); the HTTP layer logs warnings and errors.
  const logger = options.logger.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimit ?? 65_536,
    requestTimeout: t.requestTimeoutMs,
    keepAliveTimeout: t.keepAliveTimeoutMs,
  });
  app.server.headersTimeout = Math.min(t.headersTimeoutMs, t.requestTimeoutMs);
  void app.register(helmet);
  // Requests under way, so a drain can wait for them and then cut idle keep-alive connections
  // (which would otherwise hold the server open until their timeout).
  let inFlight = 0;
  let drained: (() => void) | undefined;
  app.addHook('onRequest', async () => {
    inFlight += 1;
  });
  app.addHook('onResponse', async () => {
    inFlight -= 1;
    if (inFlight === 0) drained?.();
  });
  app.decorate('drain', async (deadlineMs: number) => {
    const closing = app.close();
    if (inFlight > 0) {
      await new Promise<void>((resolve) => {
        drained = resolve;
        setTimeout(resolve, deadlineMs).unref();
      });
    }
    app.server.closeAllConnections();
    await closing;
  });
  app.get('/healthz', async (_req, reply) => {
    const ok = options.live?.() ?? true;
    return reply.code(ok ? 200 : 503).send({ ok });
  });
  app.get('/readyz', async (_req, reply) => {
    const state = await options.ready().catch(() => ({ ok: false }));
    return reply.code(state.ok ? 200 : 503).send(state);
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(text);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
  app.setErrorHandler((error: unknown, req, reply) => {
    if (error instanceof HttpError)
      return reply.code(error.status).send({ error: { code: error.code, message: error.message } });
    const e = error as { statusCode?: number; code?: string; message?: string };
    // Fastify's own client errors (bad JSON, body too large, wrong content type) keep their status
    // and answer with the platform's code, not the framework's.
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      const code = FRAMEWORK_ERROR_CODES.get(e.code ?? '') ?? 'BAD_REQUEST';
      return reply.code(e.statusCode).send({ error: { code, message: e.message ?? 'bad request' } });
    }
    req.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  return app;
}
