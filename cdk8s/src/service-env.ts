import { databaseRoleName, type ServiceSpec } from '@recio/platform';
import { type k8s } from 'cdk8s-plus-31';
import type { ChartConfig } from './config.js';
import { UnknownEnvVarError } from './errors.js';
import { DATABASE_NAME, databaseRoleSecret, postgresHost } from './postgres.js';
import { REDIS_ACL_SECRET } from './redis-acl.js';

/** The ConfigMap of non-secret settings every service reads from. */
export const ENV_CONFIG_MAP = 'recio-env';
/** Secret of main-app's API tokens (key `api-tokens.json`); created at deploy time. */
export const APP_SECRET = 'recio-app';
/**
 * Secret of the users' exchange keys: `credentials.json` and the private key files it names, for
 * the services that sign requests (trade-executor, kalshi-account-sync); created at deploy time.
 */
export const EXCHANGE_SECRET = 'recio-exchange';
/**
 * Secret of the paper exchange's accounts: `paper-accounts.json` and the public keys it names, never
 * a private key (the exchange only verifies signatures); created at deploy time.
 */
export const PAPER_ACCOUNTS_SECRET = 'recio-paper-accounts';

/** Holds the service's role password, for DATABASE_URL's expansion (defined before it). */
export const DATABASE_PASSWORD = 'DATABASE_PASSWORD';

/** A Secret mounted as files: the variable holds the path of one of them. */
export interface SecretFiles {
  secret: string;
  dir: string;
}

/** Where each file-valued variable's Secret is mounted, and which key it names. */
const FILE_VARS: Record<string, SecretFiles & { key: string }> = {
  API_TOKENS_FILE: { secret: APP_SECRET, dir: '/etc/recio/app', key: 'api-tokens.json' },
  EXCHANGE_CREDENTIALS_FILE: { secret: EXCHANGE_SECRET, dir: '/etc/recio/exchange', key: 'credentials.json' },
  PAPER_ACCOUNTS_FILE: { secret: PAPER_ACCOUNTS_SECRET, dir: '/etc/recio/paper', key: 'paper-accounts.json' },
};

type Source =
  | { kind: 'config' }
  | { kind: 'database'; password: { name: string; key: string } }
  | { kind: 'secret'; name: string; key: string; optional?: boolean }
  | { kind: 'field'; path: string }
  | { kind: 'value'; value: string }
  | { kind: 'skip' };

/** Where one variable of a service comes from, in this configuration. */
function source(config: ChartConfig, service: ServiceSpec, name: string, configKeys: Set<string>): Source {
  switch (name) {
    case 'DATABASE_URL':
      // The service's own role; the password comes from its Secret and is put into the URL by
      // Kubernetes' $(VAR) expansion (passwords are hex: nothing to escape).
      return { kind: 'database', password: { name: databaseRoleSecret(service.name), key: 'password' } };
    case 'REDIS_USERNAME':
      return { kind: 'value', value: service.name };
    case 'REDIS_PASSWORD':
      return { kind: 'secret', name: REDIS_ACL_SECRET, key: service.name };
    case 'API_TOKENS_FILE':
    case 'EXCHANGE_CREDENTIALS_FILE':
    case 'PAPER_ACCOUNTS_FILE': {
      const f = FILE_VARS[name]!;
      return { kind: 'value', value: `${f.dir}/${f.key}` };
    }
    case 'PORT':
      return { kind: 'value', value: String(service.port) };
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
export function serviceEnv(
  config: ChartConfig,
  service: ServiceSpec,
  configData: Record<string, string>,
): k8s.EnvVar[] {
  const keys = new Set(Object.keys(configData));
  const env: k8s.EnvVar[] = [];
  for (const name of service.env) {
    const s = source(config, service, name, keys);
    switch (s.kind) {
      case 'config':
        env.push({ name, valueFrom: { configMapKeyRef: { name: ENV_CONFIG_MAP, key: name } } });
        break;
      case 'secret':
        env.push({
          name,
          valueFrom: { secretKeyRef: { name: s.name, key: s.key, ...(s.optional === true ? { optional: true } : {}) } },
        });
        break;
      case 'database':
        env.push({ name: DATABASE_PASSWORD, valueFrom: { secretKeyRef: s.password } });
        env.push({
          name,
          value: `postgresql://${databaseRoleName(service.name)}:$(${DATABASE_PASSWORD})@${postgresHost(config)}:5432/${DATABASE_NAME}`,
        });
        break;
      case 'field':
        env.push({ name, valueFrom: { fieldRef: { fieldPath: s.path } } });
        break;
      case 'value':
        env.push({ name, value: s.value });
        break;
      case 'skip':
        break;
    }
  }
  // The kubelet sets HOSTNAME to the pod name too; set it explicitly so no image can override it.
  env.push({ name: 'HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  // How long SIGTERM handling may take; the pod's grace period is longer.
  env.push({ name: 'DRAIN_DEADLINE_MS', value: String(config.drainDeadlineSeconds * 1000) });
  return env;
}

/** The Secrets a service reads as files (mounted read-only at `dir`). */
export function serviceSecretFiles(service: ServiceSpec): SecretFiles[] {
  const out = new Map<string, SecretFiles>();
  for (const name of service.env) {
    const f = FILE_VARS[name];
    if (f) out.set(f.secret, { secret: f.secret, dir: f.dir });
  }
  return [...out.values()];
}
