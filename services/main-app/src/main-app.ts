import { MAIN_APP_API_PREFIX } from '@recio/platform';
import type { ServiceContext } from '@recio/service-kit';
import { ApiTokenFile } from './api-tokens.js';
import { authenticate, principalOf } from './auth.js';
import type { MainAppConfig } from './config.js';
import { limitKindOf, RequestLimits } from './rate-limit.js';
import { registerAccountRoutes } from './routes/account.js';
import { registerMeRoutes } from './routes/me.js';
import { registerReplayRoutes } from './routes/replay.js';
import { registerSettingsRoutes } from './routes/settings.js';
import { registerTradeRoutes } from './routes/trades.js';
import { TradeManagerClient } from './trade-manager-client.js';

/** Where the REST API lives (the catalogue's, which the Ingress routes); the web UI and the WebSocket gateway get paths of their own. */
export const API_PREFIX = MAIN_APP_API_PREFIX;

/**
 * main-app: the trader-facing API. Every /api/v1 route is authenticated by a bearer token and
 * acts for its user; reads come from PostgreSQL, orders go to the trade manager, settings
 * changes commit with their `settings:<user>` event, history comes from router.replay.
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

  // An encapsulated scope: its onRequest hook guards exactly the routes registered inside it.
  await ctx.http.register(
    async (api) => {
      api.addHook('onRequest', authenticate(tokens));
      // After authentication: each request spends its user's budget of its kind, before its body is read.
      api.addHook('onRequest', async (req, reply) => {
        const route = req.routeOptions.url;
        if (route !== undefined) await limits.spend(limitKindOf(req.method, route), principalOf(req).userId, reply);
      });
      registerMeRoutes(api);
      registerTradeRoutes(api, { db: pool, tradeManager, logger });
      registerSettingsRoutes(api, { db: pool, router });
      registerAccountRoutes(api, pool);
      registerReplayRoutes(api, router);
    },
    { prefix: API_PREFIX },
  );
  logger.info({ tokens: tokens.size, tradeManager: config.TRADE_MANAGER_URL }, 'main-app API ready');
}
