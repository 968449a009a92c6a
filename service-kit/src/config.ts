import { ConfigError, loadRouterEnv, type RedisConnection } from '@recio/router';
import { findService, paperExchangeEnv } from '@recio/platform';
import { z } from 'zod';

/** What every service reads from the environment, besides its own variables. */
export interface ServiceConfig {
  /** The service's name: its event `source`, metrics label and consumer name prefix. */
  service: string;
  /** HTTP port (`PORT`). */
  port: number;
  /** This instance (`POD_NAME`; the pod name in Kubernetes): consumer names are `<pod>`. */
  podName: string;
  /** Deadline for draining on SIGTERM (`DRAIN_DEADLINE_MS`); shorter than the pod's grace period. */
  drainDeadlineMs: number;
  databaseUrl: string;
  redis: RedisConnection;
  redisCommandTimeoutMs: number;
  logLevel: string;
}

const common = z.object({
  PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  POD_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{0,126}$/, 'expected a pod name ([a-z0-9.-])')
    .optional(),
  DRAIN_DEADLINE_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
});

/**
 * Reads and validates the environment: the router's connection variables (DATABASE_URL,
 * REDIS_URL | REDIS_SENTINELS | REDIS_CLUSTER_NODES, ...), PORT (the catalogue's port unless set;
 * required for a service the catalogue does not have), POD_NAME, DRAIN_DEADLINE_MS and the service's
 * own `shape`. A bad or missing variable throws ConfigError naming it. An empty variable counts as unset.
 */
export function loadServiceConfig<S extends z.ZodRawShape>(
  service: string,
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): ServiceConfig & z.infer<z.ZodObject<S>> {
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const router = loadRouterEnv({ ...set, RECIO_SOURCE: service });
  const parsed = common.extend(shape).safeParse(set);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${issue.path.join('.') || 'environment'}: ${issue.message}`);
  }
  const { PORT, POD_NAME, DRAIN_DEADLINE_MS, ...own } = parsed.data as z.infer<typeof common> & Record<string, unknown>;
  return {
    ...(own as z.infer<z.ZodObject<S>>),
    service,
    port: PORT ?? catalogPort(service),
    podName: POD_NAME ?? `${service}-local`,
    drainDeadlineMs: DRAIN_DEADLINE_MS,
    databaseUrl: router.databaseUrl,
    redis: router.redis,
    redisCommandTimeoutMs: router.redisCommandTimeoutMs,
    logLevel: router.logLevel,
  };
}

function catalogPort(service: string): number {
  const spec = findService(service);
  if (!spec)
    throw new ConfigError(`PORT: required (${service} is not in the catalogue, which gives the others theirs)`);
  return spec.port;
}

// The paper exchange on its catalogue port, where the services look by default.
const LOCAL_EXCHANGE = paperExchangeEnv();

/**
 * Variables several services read, with their local defaults from the catalogue (the paper
 * exchange on its port): a service's shape takes the ones it reads, e.g. `{ EXCHANGE_BASE_URL }`.
 */
export const SHARED_VARIABLES = {
  /** The exchange's trade API: prod, demo or the paper exchange. */
  EXCHANGE_BASE_URL: z.url().default(LOCAL_EXCHANGE.EXCHANGE_BASE_URL),
  /** The exchange's authenticated WebSocket. */
  EXCHANGE_WS_URL: z
    .string()
    .regex(/^wss?:\/\//, 'expected a ws:// or wss:// URL')
    .default(LOCAL_EXCHANGE.EXCHANGE_WS_URL),
} as const;
