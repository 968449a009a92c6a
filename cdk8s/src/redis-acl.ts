import type { RedisAclUser } from '@recio/topology';
import { channelClass, SERVICES, type ServiceSpec } from '@recio/platform';

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

/** Services that talk to Redis (they read REDIS_PASSWORD). */
export function redisServices(services: readonly ServiceSpec[] = SERVICES): ServiceSpec[] {
  return services.filter((s) => s.env.includes('REDIS_PASSWORD'));
}

// Streams, dead letters and the router's own keys; cache keys carry the service's name.
const SERVICE_COMMANDS = [
  '+@read',
  '+@write',
  '+@stream',
  '+@pubsub',
  '+@scripting',
  '+@connection',
  '+@transaction',
  '-@dangerous',
  '+info',
  // what ioredis's Cluster client asks when it connects (slots map, ready check)
  '+cluster|slots',
  '+cluster|shards',
  '+cluster|info',
];

/**
 * Every channel class the platform uses: what any service publishes to or consumes. The append
 * script PUBLISHes each event on its own channel (`trades:user_0001`) and consumers SUBSCRIBE or
 * PSUBSCRIBE (`trades:*`, matched literally against the ACL's patterns) to those names, and the
 * relay re-appends any channel; so each service user may use `<class>:*` of every class, as its
 * keys cover every `stream:*`.
 */
export function channelClassesInUse(services: readonly ServiceSpec[] = SERVICES): string[] {
  const classes = new Set<string>();
  for (const s of services) {
    for (const c of s.publishes) classes.add(c);
    for (const g of s.consumerGroups) for (const ch of g.channels) classes.add(channelClass(ch));
  }
  return [...classes].sort();
}

/** ACL users: one per service (its key patterns and commands only), plus the system users. */
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
    ...redisServices(services).map((s) => ({
      name: s.name,
      ...pw(s.name),
      keys: ['stream:*', 'dlq:*', 'recio:*', `cache:${s.name}:*`],
      channels: ['recio:*', ...channelClassesInUse(services).map((c) => `${c}:*`)],
      commands: SERVICE_COMMANDS,
    })),
  ];
}
