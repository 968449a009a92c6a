import { loadExchangeCredentials, loadServiceConfig, SHARED_VARIABLES } from '@recio/service-kit';
import { z } from 'zod';

/** The trade executor's configuration (environment at the edge). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadServiceConfig(
    'trade-executor',
    {
      EXCHANGE_BASE_URL: SHARED_VARIABLES.EXCHANGE_BASE_URL,
      /** JSON list of the users' API keys (see service-kit's loadExchangeCredentials). */
      EXCHANGE_CREDENTIALS_FILE: z.string().min(1),
      /** Per-request timeout towards the exchange. */
      EXCHANGE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    },
    env,
  );
  return { ...config, credentials: loadExchangeCredentials(config.EXCHANGE_CREDENTIALS_FILE) };
}

/** See {@link loadConfig}. */
export type ExecutorConfig = ReturnType<typeof loadConfig>;
