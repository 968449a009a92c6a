import { KubeConfig } from '@kubernetes/client-node';
import { SERVICES } from '@recio/platform';
import { LEADER_KEYS, LeaderLock } from '@recio/router';
import type { ServiceContext } from '@recio/service-kit';
import type { Logger } from 'pino';
import type { HealthControllerConfig } from './config.js';
import { HealthController, type ControlledGroup, type Leadership } from './controller.js';
import { startKubernetesPlatform } from './k8s/kubernetes-platform.js';
import type { ControllerReporter } from './reporter.js';
import { ControllerLoop } from './loop.js';
import { LocalRestarter, type Restarter } from './restarter.js';

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

/** What differs between the platforms the controller runs on. */
interface Platform {
  groups: readonly ControlledGroup[] | (() => readonly ControlledGroup[]);
  leadership: Leadership;
  restarter: Restarter | null;
  reporter?: ControllerReporter;
  /** Renew leadership this often besides the evaluations (a Lease lapses unless renewed). */
  renewEveryMs?: number;
  close(): Promise<void>;
}

/** make dev: the catalogue's groups, the PostgreSQL advisory lock, the dev supervisor's restarts. */
function local(ctx: ServiceContext<HealthControllerConfig>): Platform {
  const { config, logger } = ctx;
  const lock = new LeaderLock({
    databaseUrl: config.databaseUrl,
    key: LEADER_KEYS.healthController,
    logger,
    // Its round trips are the service's too (make bench's statement figures).
    statements: { registry: ctx.registry, source: ctx.router.options.source },
  });
  return {
    groups: catalogueGroups(config.STALL_WINDOW_SECONDS),
    leadership: lock,
    restarter: config.STACK_CONTROL_URL ? new LocalRestarter(config.STACK_CONTROL_URL) : null,
    close: () => lock.release(),
  };
}

/** In a cluster: the namespace's EventConsumers, a Lease, pods deleted, status and Events (k8s/). */
async function kubernetes(config: HealthControllerConfig, logger: Logger): Promise<Platform> {
  const kubeConfig = new KubeConfig();
  // The pod's service account: its token, the cluster's CA, KUBERNETES_SERVICE_HOST/PORT.
  kubeConfig.loadFromCluster();
  const k8s = await startKubernetesPlatform({
    kubeConfig,
    namespace: config.POD_NAMESPACE!,
    identity: config.podName,
    logger,
    leaseName: config.LEASE_NAME,
    leaseDurationSeconds: config.LEASE_DURATION_SECONDS,
    renewDeadlineMs: config.LEASE_RENEW_DEADLINE_MS,
    retryPeriodMs: config.LEASE_RETRY_PERIOD_MS,
    requestTimeoutMs: config.KUBERNETES_REQUEST_TIMEOUT_MS,
    statusRefreshMs: config.STATUS_REFRESH_MS,
  });
  return { ...k8s, renewEveryMs: config.LEASE_RETRY_PERIOD_MS };
}

/**
 * health-controller: every SAMPLE_INTERVAL_MS an evaluation (controller.ts), every
 * SWEEP_INTERVAL_MS a sweep, by the leading replica; one that runs past ROUND_DEADLINE_MS gives
 * leadership up and fails /healthz (loop.ts). Locally (CONTROLLER_PLATFORM, config.ts):
 * the catalogue's groups, the PostgreSQL advisory lock of its role (a replica killed releases it
 * with its connection), restarts by make dev's supervisor when STACK_CONTROL_URL is set, else
 * none. In Kubernetes: the EventConsumers of its namespace, a Lease, restarts by deleting the
 * member's pod, each EventConsumer's status and Events.
 */
export async function startHealthController(
  ctx: ServiceContext<HealthControllerConfig>,
): Promise<{ live: () => boolean }> {
  const { config, logger } = ctx;
  const platform = config.platform === 'kubernetes' ? await kubernetes(config, logger) : local(ctx);
  // Registered before the timers, so it runs after they are cleared (hooks run in reverse).
  ctx.onClose(() => platform.close());
  const controller = new HealthController({
    pool: ctx.pool,
    redis: ctx.router.redis,
    router: ctx.router,
    registry: ctx.registry,
    logger,
    groups: platform.groups,
    restarter: platform.restarter,
    leadership: platform.leadership,
    ...(platform.reporter ? { reporter: platform.reporter } : {}),
    claimIdleMs: config.CLAIM_IDLE_MS,
    startupGraceMs: config.STARTUP_GRACE_MS,
    restartPerPodMs: config.RESTART_PER_POD_MS,
    restartSettleMs: config.RESTART_SETTLE_MS,
  });
  const loop = new ControllerLoop({
    controller,
    leadership: platform.leadership,
    logger,
    sampleIntervalMs: config.SAMPLE_INTERVAL_MS,
    sweepIntervalMs: config.SWEEP_INTERVAL_MS,
    roundDeadlineMs: config.ROUND_DEADLINE_MS,
    ...(platform.renewEveryMs === undefined ? {} : { renewEveryMs: platform.renewEveryMs }),
  });
  loop.start();
  // The rounds under way finish before leadership is given up (platform.close, registered first,
  // runs last): another replica must not start acting while this one still is.
  ctx.onClose(() => loop.close());
  const groups = typeof platform.groups === 'function' ? platform.groups() : platform.groups;
  logger.info(
    {
      platform: config.platform,
      groups: groups.map((g) => g.name),
      restarts: platform.restarter?.describe ?? 'none (no STACK_CONTROL_URL)',
    },
    'health controller started',
  );
  // A round stuck past its deadline fails /healthz: the kubelet restarts the replica.
  return { live: () => loop.live };
}
