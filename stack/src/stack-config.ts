import { join } from 'node:path';
import { SERVICES } from '@recio/platform';
import { CONTROL_PORT } from './control-server.js';
import { StackConfigError } from './errors.js';

/** The `make dev` entry point's settings, read from the environment (only `main.ts` calls this). */
export interface StackConfig {
  /** REDIS_URL (default redis://127.0.0.1:6379, as in the Makefile). */
  redisUrl: string;
  /** DATABASE_URL (default postgres://127.0.0.1:5432/recio, as in the Makefile). */
  databaseUrl: string;
  /** LOG_LEVEL passed to every service (default info). */
  logLevel: string;
  /** STACK_SERVICES: comma-separated catalogue names; unset = every built service. */
  services: string[] | undefined;
  /** STACK_CONTROL_PORT: the control API's port on 127.0.0.1 (default CONTROL_PORT, 8099). */
  controlPort: number;
  /** STACK_USERS: how many dev users (user_0001 …), 1..1000 (default 3). */
  users: string[];
  /** STACK_BALANCE_CENTS: each paper account's starting balance (default 1000000 = $10,000). */
  balanceCents: number;
  /** STACK_DEV_DIR: keys, tokens and account files (default <repo>/.recio/dev). */
  devDir: string;
  /** STACK_STOP_DEADLINE_MS: SIGTERM → SIGKILL deadline per process (default 10000). */
  stopDeadlineMs: number;
  /** STACK_READY_TIMEOUT_MS: how long start-up waits for each service's readiness (default 120000). */
  readyTimeoutMs: number;
  /**
   * STACK_EXCHANGE: `paper` (default: the local paper exchange and its feed), or Kalshi's `demo` or
   * `prod` with the real Coinbase feed; those need STACK_EXCHANGE_CREDENTIALS_FILE (your keys, a
   * list as EXCHANGE_CREDENTIALS_FILE takes; kept out of the repository).
   */
  exchange: { kind: 'paper' } | { kind: 'demo' | 'prod'; credentialsFile: string };
  /**
   * STACK_DATABASE_ROLES: `per-service` (default: each service connects as its own PostgreSQL role,
   * as deployed; DATABASE_URL's user must be allowed to create roles) or `owner` (every service
   * connects as DATABASE_URL's user).
   */
  databaseRoles: 'per-service' | 'owner';
  /**
   * STACK_REDIS_USERS: `per-service` (default: each service connects to Redis as its own ACL user with
   * the charts' rules, set on REDIS_URL's server by the redis-users step; REDIS_URL's user must be
   * allowed ACL SETUSER) or `shared` (every service connects as REDIS_URL's user).
   */
  redisUsers: 'per-service' | 'shared';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates the environment; a bad value throws `StackConfigError` naming the variable. */
export function loadStackConfig(env: NodeJS.ProcessEnv, root: string): StackConfig {
  // An empty variable counts as unset (`STACK_SERVICES=` in a shell).
  const get = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const redisUrl = get('REDIS_URL') ?? 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\/[^/]/.test(redisUrl))
    throw new StackConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  const databaseUrl = get('DATABASE_URL') ?? 'postgres://127.0.0.1:5432/recio';
  if (!/^postgres(ql)?:\/\/[^/]/.test(databaseUrl))
    throw new StackConfigError('DATABASE_URL', 'must start with postgres://');
  const logLevel = get('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new StackConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  let services: string[] | undefined;
  const list = get('STACK_SERVICES');
  if (list !== undefined) {
    services = list
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = services.filter((s) => !SERVICES.some((c) => c.name === s));
    if (unknown.length > 0 || services.length === 0) {
      throw new StackConfigError(
        'STACK_SERVICES',
        `unknown service(s) ${unknown.join(', ') || '(none given)'}; known: ${SERVICES.map((c) => c.name).join(', ')}`,
      );
    }
  }
  const userCount = integer(get, 'STACK_USERS', 3, 1, 1000);
  const exchangeKind = get('STACK_EXCHANGE') ?? 'paper';
  let exchange: StackConfig['exchange'];
  if (exchangeKind === 'paper') exchange = { kind: 'paper' };
  else if (exchangeKind === 'demo' || exchangeKind === 'prod') {
    const credentialsFile = get('STACK_EXCHANGE_CREDENTIALS_FILE');
    if (!credentialsFile)
      throw new StackConfigError(
        'STACK_EXCHANGE_CREDENTIALS_FILE',
        `is required with STACK_EXCHANGE=${exchangeKind} (a JSON list of { user_id, key_id, private_key_pem_file })`,
      );
    exchange = { kind: exchangeKind, credentialsFile };
  } else
    throw new StackConfigError('STACK_EXCHANGE', `must be paper, demo or prod, got ${JSON.stringify(exchangeKind)}`);
  const databaseRoles = get('STACK_DATABASE_ROLES') ?? 'per-service';
  if (databaseRoles !== 'per-service' && databaseRoles !== 'owner') {
    throw new StackConfigError(
      'STACK_DATABASE_ROLES',
      `must be per-service or owner, got ${JSON.stringify(databaseRoles)}`,
    );
  }
  const redisUsers = get('STACK_REDIS_USERS') ?? 'per-service';
  if (redisUsers !== 'per-service' && redisUsers !== 'shared') {
    throw new StackConfigError('STACK_REDIS_USERS', `must be per-service or shared, got ${JSON.stringify(redisUsers)}`);
  }
  return {
    redisUrl,
    databaseUrl,
    logLevel,
    services,
    controlPort: integer(get, 'STACK_CONTROL_PORT', CONTROL_PORT, 1, 65_535),
    users: Array.from({ length: userCount }, (_, i) => `user_${String(i + 1).padStart(4, '0')}`),
    balanceCents: integer(get, 'STACK_BALANCE_CENTS', 1_000_000, 0, Number.MAX_SAFE_INTEGER),
    devDir: get('STACK_DEV_DIR') ?? join(root, '.recio', 'dev'),
    stopDeadlineMs: integer(get, 'STACK_STOP_DEADLINE_MS', 10_000, 1, 600_000),
    readyTimeoutMs: integer(get, 'STACK_READY_TIMEOUT_MS', 120_000, 1, 3_600_000),
    exchange,
    databaseRoles,
    redisUsers,
  };
}

function integer(
  get: (name: string) => string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = get(name);
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new StackConfigError(name, `expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
