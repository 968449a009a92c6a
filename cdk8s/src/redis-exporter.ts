import { k8s } from 'cdk8s-plus-31';
import type { ChartConfig } from './config.js';
import { REDIS_EXPORTER_IMAGE } from './images.js';
import { METRICS_PORT_NAME, REDIS_EXPORTER_PORT } from './metrics-ports.js';
import { resources, restrictedContainer } from './pod-helpers.js';
import { REDIS_ACL_SECRET, REDIS_EXPORTER_USER } from './redis-acl.js';

const EXPORTER_UID = 59000; // the user of the official image

/** The Redis pods that hold data (and get the exporter sidecar): `redis` (sentinel mode) or `redis-cluster`. */
export function redisServerComponent(config: Pick<ChartConfig, 'redisMode'>): string {
  return config.redisMode === 'sentinel' ? 'redis' : 'redis-cluster';
}

/**
 * redis_exporter's environment. Configured by variables, not flags: a variable a version does not
 * know is ignored, a flag would stop it (the Debian 1.45 the tests run knows fewer than the pinned image).
 */
export function redisExporterEnv(): k8s.EnvVar[] {
  return [
    // Same pod: the server's own port over loopback, as the least-privileged ACL user.
    { name: 'REDIS_ADDR', value: 'redis://localhost:6379' },
    { name: 'REDIS_USER', value: REDIS_EXPORTER_USER },
    { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: REDIS_ACL_SECRET, key: REDIS_EXPORTER_USER } } },
    { name: 'REDIS_EXPORTER_WEB_LISTEN_ADDRESS', value: `:${REDIS_EXPORTER_PORT}` },
    // Skips CONFIG GET * (v1.61+), which the ACL user may not run (redis-acl.ts). An older exporter
    // sends "-" as a command, which Redis refuses as unknown before any ACL check.
    { name: 'REDIS_EXPORTER_CONFIG_COMMAND', value: '-' },
    // /scrape?target= would let any caller aim the exporter, with its password, at another address (v1.83+).
    { name: 'REDIS_EXPORTER_DISABLE_SCRAPE_ENDPOINT', value: 'true' },
    { name: 'REDIS_EXPORTER_LOG_FORMAT', value: 'json' },
  ];
}

/** The sidecar that exports the Redis server of its pod on port `metrics` (9121). */
export function redisExporterContainer(): k8s.Container {
  const port = k8s.IntOrString.fromString(METRICS_PORT_NAME);
  return {
    name: 'exporter',
    image: REDIS_EXPORTER_IMAGE,
    env: redisExporterEnv(),
    ports: [{ name: METRICS_PORT_NAME, containerPort: REDIS_EXPORTER_PORT }],
    resources: resources('10m', '32Mi', '64Mi'),
    securityContext: restrictedContainer(EXPORTER_UID),
    // /health answers without touching Redis: a Redis that is down shows as redis_up 0, not as a restart.
    readinessProbe: { httpGet: { path: '/health', port }, periodSeconds: 10 },
    livenessProbe: { httpGet: { path: '/health', port }, initialDelaySeconds: 10, periodSeconds: 20 },
  };
}

/** Pod annotation: `kubectl exec`/`logs` without `-c` reach the server, not the sidecar. */
export function defaultContainer(name: string): Record<string, string> {
  return { 'kubectl.kubernetes.io/default-container': name };
}
