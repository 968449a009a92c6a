import { EventRouter, type ConsumeOptions, type Consumer } from '@recio/router';
import { findService, publishedClasses, type PlatformEvents } from '@recio/platform';
import { decodePlatformEvent, type PlatformRecioEvent, type PlatformRouter } from './platform-events.js';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ServiceConfig } from './config.js';
import { CacheWrites } from './cache-writes.js';
import { createHttpServer } from './http-server.js';

/** What a service passes to `consume`: the member's name and the decoding are the kit's. */
export type PlatformConsumeOptions = Omit<ConsumeOptions<PlatformRecioEvent, PlatformEvents>, 'consumer' | 'decode'>;

/** What a service's start function gets: its connections, its HTTP server and hooks. */
export interface ServiceContext<C extends ServiceConfig = ServiceConfig> {
  config: C;
  logger: Logger;
  registry: Registry;
  /** Publishes only events of the platform's catalogue (checked at compile time). */
  router: PlatformRouter;
  pool: pg.Pool;
  /** Register routes here; the server listens once start() has returned. */
  http: FastifyInstance;
  /** Aborted when the service begins to drain. */
  signal: AbortSignal;
  /** Best-effort cache writes, counted and logged by key family (a refusal by the ACL is an error). */
  cache: CacheWrites;
  /**
   * Starts a consumer group member named after this instance (POD_NAME). Each event is decoded
   * once against the platform's schemas (decodePlatformEvent) and handed to the handler typed; one
   * that does not decode is dead-lettered. The member is closed first when the service drains.
   */
  consume(options: PlatformConsumeOptions): Promise<Consumer>;
  /** Runs `fn` when the service stops (in reverse order of registration). */
  onClose(fn: () => Promise<void> | void): void;
}

/** A service: its configuration and what it starts. */
export interface ServiceDefinition<C extends ServiceConfig> {
  config: C;
  /**
   * Registers routes, starts consumers and loops. Extra readiness (e.g. a feed) may be returned,
   * and liveness: `live` false (a loop stuck) fails `/healthz`, so the kubelet restarts the pod.
   */
  start(ctx: ServiceContext<C>): Promise<void | { ready?: () => boolean; live?: () => boolean }>;
  /** Logger to use instead of a new pino (tests). */
  logger?: Logger;
}

/** A started service. */
export interface RunningService<C extends ServiceConfig = ServiceConfig> {
  context: ServiceContext<C>;
  /** The HTTP address, e.g. http://127.0.0.1:4000. */
  url: string;
  /** Drains: HTTP closes, consumers finish within the deadline, hooks run, connections close. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a service: logger, metrics (with PostgreSQL statements counted), the router on a pool
 * it owns, the service's own start(), then HTTP. Throws if any step fails, after undoing the
 * steps before it.
 */
export async function startService<C extends ServiceConfig>(
  definition: ServiceDefinition<C>,
): Promise<RunningService<C>> {
  const { config } = definition;
  const logger =
    definition.logger ?? pino({ level: config.logLevel, base: { service: config.service, pod: config.podName } });
  const registry = new Registry();
  registry.setDefaultLabels({ service: config.service });
  collectDefaultMetrics({ register: registry });
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: 10,
    application_name: config.service,
    idleTimeoutMillis: 60_000,
  });
  pool.on('error', (err) => logger.warn({ err }, 'idle PostgreSQL client failed'));
  const router: PlatformRouter = new EventRouter<PlatformEvents>({
    database: pool,
    redis: config.redis,
    source: config.service,
    publishes: publishesOf(config.service),
    registry,
    logger,
    redisCommandTimeoutMs: config.redisCommandTimeoutMs,
  });
  const abort = new AbortController();
  const consumers: Consumer[] = [];
  const hooks: (() => Promise<void> | void)[] = [];
  let extraReady: (() => boolean) | undefined;
  let live: (() => boolean) | undefined;
  const http = createHttpServer({
    logger,
    registry,
    ready: async () => {
      const redis = router.redis.status === 'ready';
      const postgres = await pool.query('SELECT 1').then(
        () => true,
        () => false,
      );
      const own = extraReady ? extraReady() : true;
      const ok = redis && postgres && own && !abort.signal.aborted;
      return { ok, detail: { redis, postgres, service: own } };
    },
    live: () => live?.() ?? true,
  });
  const context: ServiceContext<C> = {
    config,
    logger,
    registry,
    router,
    pool,
    http,
    signal: abort.signal,
    cache: new CacheWrites(registry, logger),
    async consume(options: PlatformConsumeOptions) {
      const consumer = await router.consume<PlatformRecioEvent>({
        ...options,
        decode: decodePlatformEvent,
        consumer: config.podName,
      });
      consumers.push(consumer);
      return consumer;
    },
    onClose(fn) {
      hooks.push(fn);
    },
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      abort.abort();
      const steps: [string, () => unknown][] = [
        ['http', () => http.drain(config.drainDeadlineMs)],
        ...consumers.map((c): [string, () => Promise<void>] => ['consumer', () => c.close(config.drainDeadlineMs)]),
        ...hooks.reverse().map((fn): [string, () => Promise<void> | void] => ['hook', fn]),
        ['router', () => router.close()],
        ['pool', () => pool.end()],
      ];
      for (const [what, step] of steps) {
        try {
          await step();
        } catch (err) {
          logger.warn({ err, step: what }, 'close step failed');
        }
      }
    })());

  try {
    await router.waitUntilReady({ redisTimeoutMs: 30_000 });
    const extra = await definition.start(context);
    if (extra && extra.ready) extraReady = extra.ready;
    if (extra && extra.live) live = extra.live;
    await http.listen({ port: config.port, host: '0.0.0.0' });
  } catch (err) {
    await close();
    throw err;
  }
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port }, 'service started');
  return { context, url: `http://127.0.0.1:${port}`, close };
}

/**
 * The main of a service: starts it, turns SIGTERM/SIGINT into a drain that must finish within
 * DRAIN_DEADLINE_MS (else exit 1), and exits 1 on a start failure or an uncaught error, so the
 * supervisor (Kubernetes or the dev stack) restarts it.
 */
export function runService<C extends ServiceConfig>(load: () => C, start: ServiceDefinition<C>['start']): void {
  let config: C;
  try {
    config = load();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`${e.code ?? 'ERROR'}: ${e.message ?? String(err)}\n`);
    process.exit(2);
  }
  const logger = pino({ level: config.logLevel, base: { service: config.service, pod: config.podName } });
  const fatal = (err: unknown, what: string) => {
    logger.fatal({ err }, what);
    process.exit(1);
  };
  process.on('uncaughtException', (err) => fatal(err, 'uncaught exception'));
  process.on('unhandledRejection', (err) => fatal(err, 'unhandled rejection'));
  startService({ config, start, logger }).then(
    (service) => {
      const drain = (signal: string) => {
        logger.info({ signal, deadlineMs: config.drainDeadlineMs }, 'draining');
        const timer = setTimeout(
          () => fatal(new Error('drain deadline passed'), 'drain deadline passed'),
          config.drainDeadlineMs + 2_000,
        );
        timer.unref();
        void service.close().then(() => {
          logger.info('stopped');
          process.exit(0);
        });
      };
      process.once('SIGTERM', drain);
      process.once('SIGINT', drain);
    },
    (err) => fatal(err, 'start failed'),
  );
}

/** The classes a service's router may publish on: its catalogue entry's; a name outside it (a test's probe) any. */
function publishesOf(service: string): readonly string[] | null {
  const spec = findService(service);
  return spec ? publishedClasses(spec) : null;
}
