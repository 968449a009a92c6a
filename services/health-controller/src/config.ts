import { CONSUME_DEFAULTS } from '@recio/router';
import { loadServiceConfig } from '@recio/service-kit';
import { z } from 'zod';

/** The health controller's configuration (environment at the edge). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadServiceConfig(
    'health-controller',
    {
      /** Time between two samples of every group. */
      SAMPLE_INTERVAL_MS: z.coerce.number().int().min(100).max(300_000).default(5_000),
      /** Window over which a group that applies nothing while it has lag is STALLED (an EventConsumer's own overrides it). */
      STALL_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3_600).default(30),
      /**
       * A member holding work that has not read for longer than this is stopped (two evaluations
       * in a row): the consumers' own claimIdleMs, after which another member claims its entries.
       */
      CLAIM_IDLE_MS: z.coerce.number().int().min(100).max(3_600_000).default(CONSUME_DEFAULTS.claimIdleMs),
      /** No restart in the controller's first this-many ms (what it samples may still be starting). */
      STARTUP_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
      /** At most one restart per pod in this long. */
      RESTART_PER_POD_MS: z.coerce.number().int().min(0).max(86_400_000).default(600_000),
      /** After a restart, another pod of the same deployment waits this long (one at a time). */
      RESTART_SETTLE_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
      /** Time between two sweeps of every stream: applied entries a dead member held acknowledged, gone members deleted. */
      SWEEP_INTERVAL_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
      /** make dev's supervisor control API: restarts go there (unset: no local restarts). */
      STACK_CONTROL_URL: z.url().optional(),
    },
    env,
  );
}

/** See {@link loadConfig}. */
export type HealthControllerConfig = ReturnType<typeof loadConfig>;
