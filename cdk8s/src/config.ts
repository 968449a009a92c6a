import { z } from 'zod';
import { ChartConfigError } from './errors.js';

/** Where the charts run: a local kind cluster, or a cloud cluster with operators installed. */
export const PROFILES = ['kind', 'cloud'] as const;
export type Profile = (typeof PROFILES)[number];

/** How Redis is deployed: 3 redis + 3 sentinels, or a 6-node cluster. */
export const REDIS_MODES = ['sentinel', 'cluster'] as const;
export type RedisMode = (typeof REDIS_MODES)[number];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Input of {@link parseChartConfig}: everything but `profile` and `redisMode` has a default. */
export interface ChartConfigInput {
  profile: Profile;
  redisMode: RedisMode;
  /**
   * Namespace of every object.
   * @defaultValue 'recio'
   */
  namespace?: string;
  /**
   * Image registry prefix (no trailing slash); images are `<registry>/recio-<service>:<imageTag>`.
   * @defaultValue 'recio' (kind loads local images under that name)
   */
  imageRegistry?: string;
  /**
   * Image tag; `latest` is rejected (a rollout must name what it runs).
   * @defaultValue '0.1.0'
   */
  imageTag?: string;
  /**
   * Host of the main-app Ingress.
   * @defaultValue 'recio.localtest.me' (kind), 'recio.example.com' (cloud)
   */
  ingressHost?: string;
  /**
   * Secret holding the Ingress TLS certificate; none serves plain HTTP.
   * @defaultValue none (kind), 'recio-tls' (cloud)
   */
  ingressTlsSecret?: string;
  /**
   * IngressClass of the main-app Ingress.
   * @defaultValue 'nginx'
   */
  ingressClassName?: string;
  /**
   * Namespace the ingress controller runs in (NetworkPolicy source for main-app).
   * @defaultValue 'ingress-nginx'
   */
  ingressNamespace?: string;
  /**
   * Namespace Prometheus runs in (NetworkPolicy source for /metrics).
   * @defaultValue 'monitoring'
   */
  monitoringNamespace?: string;
  /**
   * StorageClass of every PVC; none uses the cluster default.
   * @defaultValue none
   */
  storageClassName?: string;
  /**
   * Redis eviction policy: only policies that never evict a stream.
   * @defaultValue 'noeviction'
   */
  redisMaxmemoryPolicy?: 'noeviction' | 'volatile-lru';
  /**
   * Seconds a service drains after SIGTERM; the pod's grace period is this plus 10.
   * @defaultValue 20
   */
  drainDeadlineSeconds?: number;
}

const schema = z
  .object({
    profile: z.enum(PROFILES),
    redisMode: z.enum(REDIS_MODES),
    namespace: z.string().regex(DNS_LABEL).max(63).default('recio'),
    imageRegistry: z
      .string()
      .min(1)
      .regex(/^[^\s/][^\s]*[^\s/]$/)
      .default('recio'),
    imageTag: z
      .string()
      .regex(IMAGE_TAG)
      .refine((t) => t !== 'latest', 'must name a version, not latest')
      .default('0.1.0'),
    ingressHost: z.string().regex(HOSTNAME).optional(),
    ingressTlsSecret: z.string().regex(DNS_LABEL).optional(),
    ingressClassName: z.string().regex(DNS_LABEL).default('nginx'),
    ingressNamespace: z.string().regex(DNS_LABEL).default('ingress-nginx'),
    monitoringNamespace: z.string().regex(DNS_LABEL).default('monitoring'),
    storageClassName: z.string().regex(DNS_LABEL).optional(),
    redisMaxmemoryPolicy: z.enum(['noeviction', 'volatile-lru']).default('noeviction'),
    drainDeadlineSeconds: z.number().int().min(1).max(600).default(20),
  })
  .strict();

/** A validated chart configuration (every default filled in). */
export type ChartConfig = Omit<z.output<typeof schema>, 'ingressHost'> & { ingressHost: string };

/** Validates `input` and fills the defaults; throws {@link ChartConfigError} naming each bad option. */
export function parseChartConfig(input: unknown): ChartConfig {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ChartConfigError(
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
      { cause: result.error },
    );
  }
  const c = result.data;
  const cloud = c.profile === 'cloud';
  return {
    ...c,
    ingressHost: c.ingressHost ?? (cloud ? 'recio.example.com' : 'recio.localtest.me'),
    ...(c.ingressTlsSecret === undefined && cloud ? { ingressTlsSecret: 'recio-tls' } : {}),
  };
}

/** The four variants committed under charts/: `<profile>-<redis mode>`. */
export const CHART_VARIANTS: readonly { profile: Profile; redisMode: RedisMode }[] = PROFILES.flatMap((profile) =>
  REDIS_MODES.map((redisMode) => ({ profile, redisMode })),
);
