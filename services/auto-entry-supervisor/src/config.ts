import { loadServiceConfig, SHARED_VARIABLES } from '@recio/service-kit';
import { z } from 'zod';

/** The auto-entry supervisor's configuration (environment at the edge). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadServiceConfig(
    'auto-entry-supervisor',
    {
      /** The exchange's trade API (prod, demo or the paper exchange): market quotes, no key needed. */
      EXCHANGE_BASE_URL: SHARED_VARIABLES.EXCHANGE_BASE_URL,
      /** A price tick committed longer ago than this is not traded on (0 turns the check off). */
      STALE_TICK_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
    },
    env,
  );
}

/** See {@link loadConfig}. */
export type AutoEntryConfig = ReturnType<typeof loadConfig>;
