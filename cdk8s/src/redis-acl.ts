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

/** Every key in the Redis ACL Secret. */
export function redisAclSecretKeys(services: readonly ServiceSpec[] = SERVICES): string[] {
  return [...SYSTEM_REDIS_USERS, ...redisServices(services).map((s) => s.name)];
}

/**
 * ACL users: one per service with exactly the access the catalogue derives (@recio/platform's
 * redisAccess: the streams of the classes it publishes, the group commands on those it consumes,
 * its own key families, the pub/sub channels of its classes), plus the system users.
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
