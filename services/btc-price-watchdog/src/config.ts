import { COINBASE_FEED_URL, paperExchangeEnv } from '@recio/platform';
import { loadServiceConfig } from '@recio/service-kit';
import { z } from 'zod';

/** The price watchdog's configuration (environment at the edge). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadServiceConfig(
    'btc-price-watchdog',
    {
      /** `simulated` (the paper world's feed, the offline default) or `coinbase` (the real feed). */
      PRICE_SOURCE: z.enum(['simulated', 'coinbase']).default('simulated'),
      /** Overrides the source's default WebSocket URL. */
      PRICE_FEED_URL: z
        .string()
        .regex(/^wss?:\/\//, 'expected a ws:// or wss:// URL')
        .optional(),
      PRICE_PRODUCT: z
        .string()
        .regex(/^[A-Z]+-[A-Z]+$/, 'expected a product id like BTC-USD')
        .default('BTC-USD'),
      /** A feed silent this long is dead: reconnect and raise a health event. */
      FEED_DEAD_MS: z.coerce.number().int().min(1_000).max(300_000).default(10_000),
      /** A second is stored once a later tick arrives, or after this much quiet. */
      FLUSH_QUIET_MS: z.coerce.number().int().min(0).max(5_000).default(250),
      /** Published seconds are written to the price_tick history in one statement this often. */
      PRICE_HISTORY_FLUSH_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
      PRICE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
      /** TTL of `cache:prices:btc:current` (2–5 s). */
      PRICE_CACHE_TTL_S: z.coerce.number().int().min(2).max(5).default(3),
    },
    env,
  );
  return {
    ...config,
    feedUrl:
      config.PRICE_FEED_URL ??
      (config.PRICE_SOURCE === 'coinbase' ? COINBASE_FEED_URL : paperExchangeEnv().PRICE_FEED_URL),
  };
}

/** See {@link loadConfig}. */
export type WatchdogConfig = ReturnType<typeof loadConfig>;
