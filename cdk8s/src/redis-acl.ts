import type { RedisAclUser } from '@recio/topology';
import { redisAccess, redisServices, SERVICES, type ServiceSpec } from '@recio/platform';

/** Secret holding one Redis password per ACL user (key = user name); created at deploy time. */
export const REDIS_ACL_SECRET = 'recio-redis-acl';

/** Users that are not services: replication between nodes, Sentinel, and the operator/cluster Job. */
export const SYSTEM_REDIS_USERS = ['replication', 'sentinel', 'admin', 'default'] as const;

/**
 * The placeholder a password takes in a committed config file; the pod's start script replaces it
 * with the Secret's value (passwords are hex, so the substitution needs no escaping).
 */
export function passwordPlaceholder(user: string): string {
  return `@@PW_${user}@@`;
}

/** The user redis_exporter (a sidecar of every Redis pod) scrapes as. */
export const REDIS_EXPORTER_USER = 'exporter';

/**
 * What redis_exporter's default collection calls, and nothing more (its source, v1.45 to v1.88:
 * `scrapeRedisHost`): INFO ALL; CLIENT SETNAME redis_exporter (`--set-client-name`, on by default);
 * LATENCY LATEST, and LATENCY HISTOGRAM from v1.48; SLOWLOG LEN and SLOWLOG GET 1 (the last slow
 * command's id and duration: its arguments, cut to 128 bytes each, are in the reply too); CLUSTER INFO
 * when INFO says cluster_enabled:1. No keys and no channels: its key and stream collectors run
 * only for patterns it is configured with, and the charts give none (and its `/scrape?check-keys=`,
 * which older versions serve to any caller, then finds nothing it may read). Left out: CONFIG GET *,
 * which would hand it `masterauth` (the replication user's password, enough to PSYNC every key);
 * the container skips it (`REDIS_EXPORTER_CONFIG_COMMAND=-`), losing only the config_* gauges
 * (maxmemory comes from INFO). PING (`--ping-on-connect`) and CLIENT LIST
 * (`--export-client-list`) are off by default.
 */
export const REDIS_EXPORTER_COMMANDS = [
  '-@all',
  '+info',
  '+client|setname',
  '+latency|latest',
  '+latency|histogram',
  '+slowlog|len',
  '+slowlog|get',
  '+cluster|info',
] as const;

/** Every key in the Redis ACL Secret. */
export function redisAclSecretKeys(services: readonly ServiceSpec[] = SERVICES): string[] {
  return [...SYSTEM_REDIS_USERS, REDIS_EXPORTER_USER, ...redisServices(services).map((s) => s.name)];
}

/**
 * ACL users: one per service with exactly the access the catalogue derives (@recio/platform's
 * redisAccess: the streams of the classes it publishes, the group commands on those it consumes,
 * its own key families, the pub/sub channels of its classes), plus the system users and the exporter's.
 */
export function redisAclUsers(services: readonly ServiceSpec[] = SERVICES): RedisAclUser[] {
  const pw = (name: string) => ({ password: passwordPlaceholder(name) });
  return [
    // The default user cannot log in: every client names its user.
    { name: 'default', enabled: false, ...pw('default'), keys: [], channels: [], commands: ['-@all'] },
    { name: 'replication', ...pw('replication'), keys: [], channels: [], commands: ['+psync', '+replconf', '+ping'] },
    {
      name: 'sentinel',
      ...pw('sentinel'),
      keys: [],
      channels: ['__sentinel__:hello'],
      commands: [
        '+client',
        '+subscribe',
        '+publish',
        '+ping',
        '+info',
        '+multi',
        '+slaveof',
        '+config',
        '+exec',
        '+role',
      ],
    },
    { name: 'admin', ...pw('admin'), keys: ['*'], channels: ['*'], commands: ['+@all'] },
    {
      name: REDIS_EXPORTER_USER,
      ...pw(REDIS_EXPORTER_USER),
      keys: [],
      channels: [],
      commands: [...REDIS_EXPORTER_COMMANDS],
    },
    ...redisServices(services).map((s) => {
      const access = redisAccess(s, services);
      return {
        ...pw(s.name),
        name: access.name,
        keys: access.keys,
        readKeys: access.readKeys,
        channels: access.channels,
        commands: [...access.commands],
        selectors: access.selectors.map((sel) => ({ keys: sel.keys, commands: [...sel.commands] })),
      };
    }),
  ];
}
