import { loadServiceConfig } from '@recio/service-kit';
import { z } from 'zod';

/** The trade manager's configuration (environment at the edge). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadServiceConfig(
    'trade-manager',
    {
      /** A pending trade whose entry order has no outcome after this long (feed time) is cancelled. */
      PENDING_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(120_000),
      /**
       * A closing trade whose order has no outcome after this long (feed time) is confirmed with the
       * exchange (`trade.close_unconfirmed`), and again after each further timeout until it answers;
       * so is the entry of a trade cancelled for no outcome (`trade.entry_unconfirmed`).
       */
      CLOSE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(120_000),
      /** How long after expiry a missing settlement raises a health event (DOMAIN.md: 30 min). */
      SETTLEMENT_OVERDUE_MS: z.coerce.number().int().min(60_000).max(86_400_000).default(1_800_000),
    },
    env,
  );
}

/** See {@link loadConfig}. */
export type TradeManagerConfig = ReturnType<typeof loadConfig>;
