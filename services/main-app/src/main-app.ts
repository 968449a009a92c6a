import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MAIN_APP_API_PREFIX } from '@recio/platform';
import type { ServiceContext } from '@recio/service-kit';
import { ApiTokenFile } from './api-tokens.js';
import { authenticate, identify, principalOf, sameOrigin } from './auth.js';
import { Gateway } from './gateway/gateway.js';
import { GatewayHub } from './gateway/hub.js';
import type { MainAppConfig } from './config.js';
import { limitKindOf, RequestLimits } from './rate-limit.js';
import { registerAccountRoutes } from './routes/account.js';
import { registerMeRoutes } from './routes/me.js';
import { registerReplayRoutes } from './routes/replay.js';
import { registerSessionRoutes, registerSignInRoute } from './routes/session.js';
import { registerSettingsRoutes } from './routes/settings.js';
import { registerSnapshotRoutes } from './routes/snapshot.js';
import { registerTradeRoutes } from './routes/trades.js';
import { Sessions } from './sessions.js';
import { TradeManagerClient } from './trade-manager-client.js';
import { TraderViews } from './trader-view.js';

/** Where the REST API lives (the catalogue's, which the Ingress routes); the page is at `/`, the gateway at `/ws`. */
export const API_PREFIX = MAIN_APP_API_PREFIX;

/**
 * main-app: what traders meet. The page at `/`; the REST API, where every route but sign-in is
 * authenticated (a bearer token, or a browser session with its CSRF token) and acts for its user:
 * reads come from PostgreSQL, orders go to the trade manager, settings changes commit with their
 * `settings:<user>` event, history comes from router.replay; and the WebSocket gateway at `/ws`.
 */
export async function startMainApp(ctx: ServiceContext<MainAppConfig>): Promise<void> {
  const { config, pool, router, logger } = ctx;
  const tokens = new ApiTokenFile(config.API_TOKENS_FILE, {
    reloadMs: config.API_TOKENS_RELOAD_MS,
    logger,
    registry: ctx.registry,
  });
  ctx.onClose(() => tokens.close());
  const limits = new RequestLimits(
    ctx.router.redis,
    {
      orders: {
        points: config.ORDER_BURST,
        durationSeconds: Math.ceil(config.ORDER_BURST / config.ORDER_RATE_PER_SECOND),
      },
      settings: { points: config.SETTINGS_CHANGES_PER_MINUTE, durationSeconds: 60 },
      reads: { points: config.READS_PER_MINUTE, durationSeconds: 60 },
      replay: { points: config.REPLAYS_PER_MINUTE, durationSeconds: 60 },
    },
    logger,
    ctx.registry,
  );
  const tradeManager = new TradeManagerClient({
    baseUrl: config.TRADE_MANAGER_URL,
    timeoutMs: config.TRADE_MANAGER_TIMEOUT_MS,
  });

  const sessions = new Sessions(pool, {
    ttlMs: config.SESSION_TTL_HOURS * 3_600_000,
    recheckMs: config.SESSION_RECHECK_MS,
  });
  await ctx.http.register(fastifyCookie);
  const sessionDeps = {
    db: pool,
    sessions,
    redis: router.redis,
    limit: { failures: config.SIGN_IN_FAILURES, windowSeconds: config.SIGN_IN_WINDOW_SECONDS },
    cookieSecure: config.SESSION_COOKIE_SECURE,
  };

  // The trader's page (web/, bundled by `make build` into dist/web): index.html at / and its assets.
  const webRoot = fileURLToPath(new URL('./web/', import.meta.url));
  if (existsSync(webRoot)) {
    await ctx.http.register(fastifyStatic, { root: webRoot, prefix: '/', wildcard: false, index: 'index.html' });
  } else {
    logger.warn({ webRoot }, 'no web page built (npm run build:web -w services/main-app): serving the API only');
  }

  // The WebSocket gateway's hub (one per process): live events, and the memory page loads start from.
  const hub = new GatewayHub(router);
  await hub.start();
  ctx.onClose(() => hub.close());
  const views = new TraderViews({ pool, redis: router.redis, cache: ctx.cache, ttlSeconds: config.TRADER_VIEW_TTL_S });

  // Sign-in is the one public route; the rest are in the authenticated scope.
  await ctx.http.register(async (open) => registerSignInRoute(open, sessionDeps), { prefix: API_PREFIX });
  // An encapsulated scope: its onRequest hook guards exactly the routes registered inside it.
  await ctx.http.register(
    async (api) => {
      api.addHook('onRequest', authenticate(tokens, sessions));
      // After authentication: each request spends its user's budget of its kind, before its body is read.
      api.addHook('onRequest', async (req, reply) => {
        const route = req.routeOptions.url;
        const kind = route === undefined ? null : limitKindOf(req.method, route);
        if (kind !== null) await limits.spend(kind, principalOf(req).userId, reply);
      });
      registerMeRoutes(api);
      registerTradeRoutes(api, { db: pool, tradeManager, logger });
      registerSettingsRoutes(api, { db: pool, router });
      registerAccountRoutes(api, pool);
      registerReplayRoutes(api, router);
      registerSnapshotRoutes(api, { views, hub });
      registerSessionRoutes(api, sessionDeps);
    },
    { prefix: API_PREFIX },
  );

  const gateway = new Gateway({
    server: ctx.http.server,
    hub,
    authenticate: async (request) => {
      const cookies = ctx.http.parseCookie(request.headers.cookie ?? '');
      const who = await identify({ method: 'GET', headers: request.headers, cookies }, tokens, sessions);
      if ('refused' in who) return { status: 401, code: 'UNAUTHENTICATED', message: who.refused };
      // A browser's socket must come from the page's own origin (no cross-site WebSocket hijacking).
      if (who.session && !sameOrigin(request.headers.origin, request.headers.host)) {
        return { status: 403, code: 'FORBIDDEN_ORIGIN', message: 'a signed-in socket opens from the page itself' };
      }
      // Asked again every authRecheckMs: a token is looked up in memory, a session in its cache
      // (PostgreSQL at most once per SESSION_RECHECK_MS).
      const { session, bearer } = who;
      const stillValid = session
        ? async () => (await sessions.lookup(session.token)) !== null
        : async () => bearer !== undefined && tokens.lookup(bearer) !== null;
      return { principal: who.principal, stillValid };
    },
    replay: (channel, options) => router.replay(channel, options),
    spendReplay: async (userId) => (await limits.trySpend('replay', userId)) === null,
    queueMax: config.WS_QUEUE_MAX,
    highWaterBytes: config.WS_HIGH_WATER_BYTES,
    heartbeatMs: config.WS_HEARTBEAT_MS,
    // A token removed from the file is refused within API_TOKENS_RELOAD_MS; its sockets close as soon.
    authRecheckMs: config.API_TOKENS_RELOAD_MS,
    maxPayloadBytes: 64 * 1024,
    socketsPerUser: config.WS_SOCKETS_PER_USER,
    registry: ctx.registry,
    logger,
  });
  // Before the HTTP drain: open sockets would hold it; clients reconnect to another replica.
  ctx.signal.addEventListener('abort', () => gateway.close());
  logger.info({ tokens: tokens.size, tradeManager: config.TRADE_MANAGER_URL }, 'main-app API and gateway ready');
}
