import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { databaseServices, redisServices, SERVICES, serviceDatabaseUrl, type ServiceSpec } from '@recio/platform';
import type { ServicePasswords } from './dev-accounts.js';
import { InvalidOptionError } from './errors.js';
import type { ProcessSpec } from './supervisor-options.js';

/** The relay's name in the catalogue (its entry point is the router's CLI, not `services/`). */
export const RELAY = 'relay';
/** The paper exchange's name in the catalogue: what egress services wait for locally. */
export const PAPER_EXCHANGE = 'paper-exchange';
/** The migrations oneshot that runs before any service touching the database. */
export const MIGRATE = 'migrate';
/** The oneshot after the migrations that gives each service its PostgreSQL role and grants. */
export const DATABASE_ROLES = 'database-roles';
/** The oneshot that gives each service its Redis ACL user (the charts' rules) before any starts. */
export const REDIS_USERS = 'redis-users';
/** The step that makes sure the browser's users can sign in (make dev). */
export const WEB_USERS = 'web-users';
const MAIN_APP = 'main-app';

/** What `platformProcesses` needs. */
export interface PlatformProcessesOptions {
  /** The repository's directory (where `router/` and `services/` are). */
  root: string;
  /** Catalogue names to run. @defaultValue every built service (`services/<name>/dist/main.js` exists), plus the relay */
  services?: readonly string[];
  /** Environment of every process (connection strings, shared files). */
  commonEnv: Readonly<Record<string, string>>;
  /** Extra environment per catalogue name, laid over the rest. @defaultValue {} */
  serviceEnv?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The node binary for `node …` commands. @defaultValue process.execPath (the supervisor's own node) */
  nodePath?: string;
  /** The service catalogue. @defaultValue SERVICES from @recio/platform */
  catalogue?: readonly ServiceSpec[];
  /**
   * Run each service as its own PostgreSQL role (least privilege, as deployed): a `database-roles`
   * oneshot after the migrations creates the roles with these passwords and grants them, and each
   * service's DATABASE_URL names its role. Without it every service connects as `commonEnv`'s user.
   */
  databaseRoles?: ServicePasswords;
  /**
   * Run each service as its own Redis ACL user with the charts' rules (least privilege, as deployed,
   * so a key a service may not write is refused locally too): a `redis-users` oneshot gives the users
   * these passwords on `commonEnv`'s REDIS_URL (standalone), and each service's REDIS_USERNAME and
   * REDIS_PASSWORD name its own. Without it every service connects as REDIS_URL's user.
   */
  redisUsers?: ServicePasswords;
  /**
   * The `redisUsers` are already on every Redis node (a Sentinel group whose nodes the caller gave
   * them, as the charts' ACL file does): no `redis-users` step, which needs a standalone REDIS_URL.
   * @defaultValue false
   */
  redisUsersApplied?: boolean;
  /**
   * Users who sign in from a browser (`[{ user_id, password, admin? }]`, mode 0600): a `web-users`
   * step makes sure each can, before main-app starts.
   */
  webUsersFile?: string;
}

/** Names of the catalogue's services that `platformProcesses` runs when not told which. */
export function defaultServices(root: string, catalogue: readonly ServiceSpec[] = SERVICES): string[] {
  return catalogue
    .filter((s) => s.name === RELAY || existsSync(join(root, 'services', s.name, 'dist', 'main.js')))
    .map((s) => s.name);
}

/**
 * The platform as supervisor processes: the `migrate` oneshot first (then `database-roles`, when
 * each service runs as its own role; `redis-users`, when each has its own Redis user), the paper
 * exchange (when run) next, then each service with
 * its catalogue command and port (`PORT`, `POD_NAME=<name>-local`, `RECIO_SOURCE=<name>`), ready
 * when `/readyz` on its port answers 200, after the database steps, and, for a service that calls
 * the exchange or the price feed, after the paper exchange.
 */
export function platformProcesses(options: PlatformProcessesOptions): ProcessSpec[] {
  const catalogue = options.catalogue ?? SERVICES;
  const nodePath = options.nodePath ?? process.execPath;
  const names = options.services ?? defaultServices(options.root, catalogue);
  for (const name of names) {
    if (!catalogue.some((s) => s.name === name)) {
      throw new InvalidOptionError(
        'services',
        `unknown service ${JSON.stringify(name)}; known: ${catalogue.map((s) => s.name).join(', ')}`,
      );
    }
  }
  const chosen = catalogue.filter((s) => names.includes(s.name));
  // The paper exchange keeps no database state, so it starts alongside the migrations.
  chosen.sort((a, b) => Number(b.name === PAPER_EXCHANGE) - Number(a.name === PAPER_EXCHANGE));
  const withPaper = chosen.some((s) => s.name === PAPER_EXCHANGE);
  const node = (argv: readonly string[]): string[] => (argv[0] === 'node' ? [nodePath, ...argv.slice(1)] : [...argv]);

  // A step that runs to completion before the services that depend on it.
  const oneshot = (name: string, argv: string[], env: Record<string, string>, dependsOn?: string[]): ProcessSpec => ({
    name,
    kind: 'oneshot',
    command: node(['node', ...argv]),
    cwd: options.root,
    env: { ...options.commonEnv, ...env, POD_NAME: `${name}-local` },
    ...(dependsOn ? { dependsOn } : {}),
  });
  const migrate = oneshot(MIGRATE, ['router/dist/cli/main.js', 'migrate'], { RECIO_SOURCE: MIGRATE });
  const roles = options.databaseRoles;
  const databaseRoles =
    roles &&
    oneshot(DATABASE_ROLES, ['service-kit/dist/database-roles-main.js'], { DATABASE_ROLE_PASSWORDS_DIR: roles.dir }, [
      MIGRATE,
    ]);
  const schemaReady = databaseRoles ? DATABASE_ROLES : MIGRATE;
  const users = options.redisUsers;
  const redisUsers =
    users &&
    !options.redisUsersApplied &&
    oneshot(REDIS_USERS, ['service-kit/dist/redis-users-main.js'], { REDIS_USER_PASSWORDS_DIR: users.dir });
  const webUsers =
    options.webUsersFile !== undefined &&
    chosen.some((s) => s.name === MAIN_APP) &&
    oneshot(WEB_USERS, ['services/main-app/dist/web-users-main.js'], { WEB_USERS_FILE: options.webUsersFile }, [
      MIGRATE,
    ]);
  const usesRedis = new Set(redisServices(chosen).map((s) => s.name));
  const ownRedisUser = (s: ServiceSpec): Record<string, string> => {
    if (!users || !usesRedis.has(s.name)) return {};
    const password = users.passwords.get(s.name);
    if (!password) throw new InvalidOptionError('redisUsers', `no password for ${s.name}`);
    return { REDIS_USERNAME: s.name, REDIS_PASSWORD: password };
  };
  const usesDatabase = new Set(databaseServices(chosen).map((s) => s.name));
  const ownUrl = (s: ServiceSpec): Record<string, string> => {
    const password = roles?.passwords.get(s.name);
    if (!roles || !usesDatabase.has(s.name)) return {};
    if (!password || !options.commonEnv.DATABASE_URL)
      throw new InvalidOptionError('databaseRoles', `no password for ${s.name}, or no DATABASE_URL`);
    return { DATABASE_URL: serviceDatabaseUrl(options.commonEnv.DATABASE_URL, s.name, password) };
  };
  const services = chosen.map((s): ProcessSpec => {
    const dependsOn =
      s.name === PAPER_EXCHANGE
        ? []
        : [
            schemaReady,
            ...(redisUsers && usesRedis.has(s.name) ? [REDIS_USERS] : []),
            ...(withPaper && s.egressInternet ? [PAPER_EXCHANGE] : []),
            ...(webUsers && s.name === MAIN_APP ? [WEB_USERS] : []),
          ];
    return {
      name: s.name,
      kind: 'service',
      command: node(s.command),
      cwd: options.root,
      env: {
        ...options.commonEnv,
        PORT: String(s.port),
        POD_NAME: `${s.name}-local`,
        RECIO_SOURCE: s.name,
        ...ownUrl(s),
        ...ownRedisUser(s),
        ...options.serviceEnv?.[s.name],
      },
      // Every service serves /readyz on its port; the relay serves it on its metrics port, which
      // is its catalogue port (router/src/cli/metrics-server.ts), and answers 200 once Redis is ready.
      readyUrl: `http://127.0.0.1:${s.port}/readyz`,
      dependsOn,
    };
  });
  return [
    migrate,
    ...(databaseRoles ? [databaseRoles] : []),
    ...(redisUsers ? [redisUsers] : []),
    ...(webUsers ? [webUsers] : []),
    ...services,
  ];
}
