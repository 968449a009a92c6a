import type { ServiceSpec } from '@recio/platform';
import { k8s } from 'cdk8s-plus-31';
import type { ChartConfig } from './config.js';
import { UnknownEnvVarError } from './errors.js';
import { databaseUrlSecret } from './postgres.js';
import { REDIS_ACL_SECRET } from './redis-acl.js';

/** The ConfigMap of non-secret settings every service reads from. */
export const ENV_CONFIG_MAP = 'recio-env';
/** Secret of main-app's session signing key (key `session-secret`); created at deploy time. */
export const APP_SECRET = 'recio-app';
/** Secret of the exchange API key (keys `key-id`, `private-key`); optional, absent means demo mode. */
export const EXCHANGE_SECRET = 'recio-exchange';

type Source =
  | { kind: 'config' }
  | { kind: 'secret'; name: string; key: string; optional?: boolean }
  | { kind: 'field'; path: string }
  | { kind: 'value'; value: string }
  | { kind: 'skip' };

/** Where one variable of a service comes from, in this configuration. */
function source(config: ChartConfig, service: ServiceSpec, name: string, configKeys: Set<string>): Source {
  switch (name) {
    case 'DATABASE_URL': {
      const s = databaseUrlSecret(config);
      return { kind: 'secret', name: s.name, key: s.key };
    }
    case 'REDIS_USERNAME':
      return { kind: 'value', value: service.name };
    case 'REDIS_PASSWORD':
      return { kind: 'secret', name: REDIS_ACL_SECRET, key: service.name };
    case 'SESSION_SECRET':
      return { kind: 'secret', name: APP_SECRET, key: 'session-secret' };
    case 'EXCHANGE_KEY_ID':
      return { kind: 'secret', name: EXCHANGE_SECRET, key: 'key-id', optional: true };
    case 'EXCHANGE_PRIVATE_KEY':
      return { kind: 'secret', name: EXCHANGE_SECRET, key: 'private-key', optional: true };
    case 'POD_NAME':
      return { kind: 'field', path: 'metadata.name' };
    case 'POD_NAMESPACE':
      return { kind: 'field', path: 'metadata.namespace' };
    case 'REDIS_SENTINELS':
    case 'REDIS_SENTINEL_NAME':
      return config.redisMode === 'sentinel' ? { kind: 'config' } : { kind: 'skip' };
    case 'REDIS_CLUSTER_NODES':
      return config.redisMode === 'cluster' ? { kind: 'config' } : { kind: 'skip' };
    default:
      if (configKeys.has(name)) return { kind: 'config' };
      throw new UnknownEnvVarError(service.name, name);
  }
}

/** The container environment of `service`: each name it reads, from the ConfigMap, a Secret or the downward API. */
export function serviceEnv(config: ChartConfig, service: ServiceSpec, configData: Record<string, string>): k8s.EnvVar[] {
  const keys = new Set(Object.keys(configData));
  const env: k8s.EnvVar[] = [];
  for (const name of service.env) {
    const s = source(config, service, name, keys);
    if (s.kind === 'config') env.push({ name, valueFrom: { configMapKeyRef: { name: ENV_CONFIG_MAP, key: name } } });
    else if (s.kind === 'secret') {
      env.push({ name, valueFrom: { secretKeyRef: { name: s.name, key: s.key, ...(s.optional === true ? { optional: true } : {}) } } });
    } else if (s.kind === 'field') env.push({ name, valueFrom: { fieldRef: { fieldPath: s.path } } });
    else if (s.kind === 'value') env.push({ name, value: s.value });
  }
  // The kubelet sets HOSTNAME to the pod name too; set it explicitly so no image can override it.
  env.push({ name: 'HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  // How long SIGTERM handling may take; the pod's grace period is longer.
  env.push({ name: 'DRAIN_DEADLINE_MS', value: String(config.drainDeadlineSeconds * 1000) });
  return env;
}
