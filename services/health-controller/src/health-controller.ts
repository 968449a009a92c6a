import { SERVICES } from '@recio/platform';
import { LEADER_KEYS, LeaderLock } from '@recio/router';
import type { ServiceContext } from '@recio/service-kit';
import type { HealthControllerConfig } from './config.js';
import { HealthController, type ControlledGroup } from './controller.js';
import { LocalRestarter } from './restarter.js';

/** The groups of the services catalogue, each with the thresholds its EventConsumer carries in Kubernetes. */
export function catalogueGroups(stallWindowSeconds: number): ControlledGroup[] {
  return SERVICES.flatMap((s) =>
    s.consumerGroups.map((g) => ({
      name: g.name,
      channels: g.channels,
      deployment: s.name,
      maxLagSeconds: g.maxLagSeconds,
      maxPending: g.maxPending,
      stallWindowSeconds,
    })),
  );
}

/**
 * health-controller: every SAMPLE_INTERVAL_MS an evaluation (controller.ts), every
 * SWEEP_INTERVAL_MS a sweep, by the replica holding the PostgreSQL advisory lock of its role (a
 * replica killed releases it with its connection; a second one waits). Restarts go to make dev's
 * supervisor when STACK_CONTROL_URL is set; otherwise it observes, exports and announces only.
 */
export async function startHealthController(ctx: ServiceContext<HealthControllerConfig>): Promise<void> {
  const { config, logger } = ctx;
  const lock = new LeaderLock({ databaseUrl: config.databaseUrl, key: LEADER_KEYS.healthController, logger });
  const restarter = config.STACK_CONTROL_URL ? new LocalRestarter(config.STACK_CONTROL_URL) : null;
  const groups = catalogueGroups(config.STALL_WINDOW_SECONDS);
  const controller = new HealthController({
    pool: ctx.pool,
    redis: ctx.router.redis,
    router: ctx.router,
    registry: ctx.registry,
    logger,
    groups,
    restarter,
    leadership: lock,
    claimIdleMs: config.CLAIM_IDLE_MS,
    startupGraceMs: config.STARTUP_GRACE_MS,
    restartPerPodMs: config.RESTART_PER_POD_MS,
    restartSettleMs: config.RESTART_SETTLE_MS,
  });
  const every = (ms: number, what: string, run: () => Promise<unknown>) => {
    let running = false;
    const timer = setInterval(() => {
      if (running) return; // a slow round delays the next, never overlaps it
      running = true;
      run()
        .catch((err: unknown) => logger.error({ err }, `${what} failed`))
        .finally(() => (running = false));
    }, ms);
    ctx.onClose(() => clearInterval(timer));
  };
  every(config.SAMPLE_INTERVAL_MS, 'evaluation', () => controller.evaluate());
  every(config.SWEEP_INTERVAL_MS, 'sweep', () => controller.sweep());
  ctx.onClose(() => lock.release());
  logger.info(
    { groups: groups.map((g) => g.name), restarts: restarter?.describe ?? 'none (no STACK_CONTROL_URL)' },
    'health controller started',
  );
}
