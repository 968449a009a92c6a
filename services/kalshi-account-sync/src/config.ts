import { loadExchangeCredentials, loadServiceConfig, SHARED_VARIABLES } from '@recio/service-kit';
import { z } from 'zod';

/** The account sync's configuration (environment at the edge). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadServiceConfig(
    'kalshi-account-sync',
    {
      EXCHANGE_BASE_URL: SHARED_VARIABLES.EXCHANGE_BASE_URL,
      /** The exchange's authenticated WebSocket (`market_positions` drives the sync). */
      EXCHANGE_WS_URL: SHARED_VARIABLES.EXCHANGE_WS_URL,
      /** JSON list of the users' API keys (see service-kit's loadExchangeCredentials); every user listed is mirrored. */
      EXCHANGE_CREDENTIALS_FILE: z.string().min(1),
      /** Per-request timeout towards the exchange. */
      EXCHANGE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
      /**
       * The safety net: every user is swept this often (balance, every position, fills and
       * settlements newer than the newest stored, orders that can still change). The WebSocket
       * and the full resyncs at start and after a reconnect do the real work.
       */
      RESYNC_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(300_000),
    },
    env,
  );
  return { ...config, credentials: loadExchangeCredentials(config.EXCHANGE_CREDENTIALS_FILE) };
}

/** See {@link loadConfig}. */
export type AccountSyncConfig = ReturnType<typeof loadConfig>;
