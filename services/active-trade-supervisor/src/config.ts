import { loadServiceConfig, SHARED_VARIABLES } from '@recio/service-kit';
import { z } from 'zod';

/** The active trade supervisor's configuration (environment at the edge). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadServiceConfig(
    'active-trade-supervisor',
    {
      /** The exchange's trade API (prod, demo or the paper exchange): market quotes, no key needed. */
      EXCHANGE_BASE_URL: SHARED_VARIABLES.EXCHANGE_BASE_URL,
      /** A price tick committed longer ago than this is not acted on (0 turns the check off). */
      STALE_TICK_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
      /** TTL of the live view of open trades in `cache:trades:<user>:live`. */
      LIVE_CACHE_TTL_S: z.coerce.number().int().min(2).max(60).default(5),
    },
    env,
  );
}

/** See {@link loadConfig}. */
export type ActiveTradeConfig = ReturnType<typeof loadConfig>;
