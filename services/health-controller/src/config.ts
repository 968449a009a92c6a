import { CONSUME_DEFAULTS, ConfigError } from '@recio/router';
import { loadServiceConfig } from '@recio/service-kit';
import { z } from 'zod';
import { DNS_SUBDOMAIN } from './k8s/api.js';

/** Where the controller runs: decides its groups, leadership, restarts and reports (health-controller.ts). */
export type ControllerPlatform = 'kubernetes' | 'local';

/** The health controller's configuration (environment at the edge). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadServiceConfig(
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
      /**
       * An evaluation running longer than this gives leadership up until it ends and fails /healthz:
       * a server that never answers must not keep a stuck replica leading. (A sweep has no deadline.)
       */
      ROUND_DEADLINE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
      /** make dev's supervisor control API: restarts go there (unset: no local restarts). */
      STACK_CONTROL_URL: z.url().optional(),
      /**
       * `kubernetes` (groups from EventConsumers, a Lease, pods deleted, status and Events) or
       * `local` (the catalogue's groups, the PostgreSQL lock, make dev's supervisor). Unset:
       * kubernetes when KUBERNETES_SERVICE_HOST is set and STACK_CONTROL_URL is not.
       */
      CONTROLLER_PLATFORM: z.enum(['kubernetes', 'local']).optional(),
      /** Set by the kubelet in every pod; read only to choose the platform. */
      KUBERNETES_SERVICE_HOST: z.string().optional(),
      /** Kubernetes: the namespace of its EventConsumers, pods, Events and Lease (downward API metadata.namespace). */
      POD_NAMESPACE: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a namespace name')
        .max(63)
        .optional(),
      /** Kubernetes: the leader Lease's name. */
      LEASE_NAME: z.string().regex(DNS_SUBDOMAIN, 'expected a Lease name').default('health-controller'),
      /** Kubernetes: how long the leader's claim lasts after its last renewal, for the other replicas. */
      LEASE_DURATION_SECONDS: z.coerce.number().int().min(2).max(600).default(15),
      /** Kubernetes: the leader stops acting this long after its last successful renewal began (less than the lease). */
      LEASE_RENEW_DEADLINE_MS: z.coerce.number().int().min(500).max(599_000).default(10_000),
      /** Kubernetes: time between two renewals (or, for a follower, two attempts to take the Lease). */
      LEASE_RETRY_PERIOD_MS: z.coerce.number().int().min(100).max(300_000).default(2_000),
      /** Kubernetes: deadline of each API call. */
      KUBERNETES_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
      /** Kubernetes: an EventConsumer's unchanged status is written again this often (its observedAt). */
      STATUS_REFRESH_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
    },
    env,
  );
  const platform: ControllerPlatform =
    config.CONTROLLER_PLATFORM ??
    (config.KUBERNETES_SERVICE_HOST !== undefined && config.STACK_CONTROL_URL === undefined ? 'kubernetes' : 'local');
  if (platform === 'kubernetes') {
    if (config.POD_NAMESPACE === undefined)
      throw new ConfigError('POD_NAMESPACE: required in Kubernetes (the downward API: metadata.namespace)');
    // Two replicas under the default name would both hold the Lease.
    if (!env.POD_NAME) throw new ConfigError('POD_NAME: required in Kubernetes (the Lease holder: metadata.name)');
    // The leader acts until the renew deadline; each call it started must have ended before another
    // replica may take the Lease, so a call's deadline fits in what is left of the lease after it.
    const margin = config.LEASE_DURATION_SECONDS * 1000 - config.LEASE_RENEW_DEADLINE_MS;
    if (margin <= 0) throw new ConfigError('LEASE_RENEW_DEADLINE_MS: must be shorter than LEASE_DURATION_SECONDS');
    if (config.LEASE_RETRY_PERIOD_MS >= config.LEASE_RENEW_DEADLINE_MS)
      throw new ConfigError('LEASE_RETRY_PERIOD_MS: must be shorter than LEASE_RENEW_DEADLINE_MS');
    if (config.KUBERNETES_REQUEST_TIMEOUT_MS > margin)
      throw new ConfigError(
        `KUBERNETES_REQUEST_TIMEOUT_MS: must not exceed LEASE_DURATION_SECONDS × 1000 − LEASE_RENEW_DEADLINE_MS (${margin} ms), or a call could land after another replica took over`,
      );
  }
  return { ...config, platform };
}

/** See {@link loadConfig}. */
export type HealthControllerConfig = ReturnType<typeof loadConfig>;
