/**
 * Least privilege in Redis (ARCHITECTURE "Security"): one ACL user per service, holding only the key
 * families it writes and the pub/sub channels the router uses. A service's own keys are declared in
 * the catalogue (`ServiceSpec.redisKeys`); the router's are derived here from what the service does.
 * The charts (cdk8s/src/redis-acl.ts) and the local `redis-users` step (`make dev`, the e2e day)
 * grant exactly this, and the key families are the ones the code builds its keys with
 * (@recio/contract), so a key a service writes is a key its user may write.
 */
import {
  ANNOUNCE_CHANNEL,
  channelClass,
  classPubsubPattern,
  DEAD_LETTER_KEY,
  STREAM_KEY,
  type ChannelClass,
  type KeyFamily,
} from '@recio/contract';
import { SERVICES, type ServiceSpec } from './services.js';

/**
 * What a service user may run: reads, writes, streams, pub/sub and scripts, never anything
 * `@dangerous` (FLUSHALL, CONFIG, DEBUG, KEYS, ...); plus INFO and what ioredis's Cluster client asks
 * when it connects (the slots map and the ready check).
 */
export const SERVICE_REDIS_COMMANDS: readonly string[] = [
  '+@read',
  '+@write',
  '+@stream',
  '+@pubsub',
  '+@scripting',
  '+@connection',
  '+@transaction',
  '-@dangerous',
  '+info',
  '+cluster|slots',
  '+cluster|shards',
  '+cluster|info',
];

/** What one service's Redis ACL user may touch. */
export interface RedisAccess {
  /** The ACL user: the service's name. */
  name: string;
  /** Key patterns (`~pattern`). */
  keys: string[];
  /** Pub/sub channel patterns (`&pattern`). */
  channels: string[];
  /** Command rules (`+@read`, `-@dangerous`, ...). */
  commands: readonly string[];
}

/** Services that talk to Redis (they read REDIS_PASSWORD), each of which gets an ACL user. */
export function redisServices(services: readonly ServiceSpec[] = SERVICES): ServiceSpec[] {
  return services.filter((s) => s.env.includes('REDIS_PASSWORD'));
}

/**
 * The key families a service writes or reads: streams for every router (publishing, replay,
 * consuming), dead letters for a service that runs a consumer group, then its own.
 */
export function redisKeyFamilies(service: ServiceSpec): KeyFamily[] {
  return [STREAM_KEY, ...(service.consumerGroups.length > 0 ? [DEAD_LETTER_KEY] : []), ...service.redisKeys];
}

/**
 * Every channel class the platform uses: what any service publishes to or consumes. The append
 * script PUBLISHes each event on its own channel (`trades:user_0001`) and consumers SUBSCRIBE or
 * PSUBSCRIBE (`trades:*`, matched literally against the ACL's patterns) to those names, and the
 * relay re-appends any channel; so each service user may use `<class>:*` of every class, as its
 * keys cover every stream.
 */
export function channelClassesInUse(services: readonly ServiceSpec[] = SERVICES): ChannelClass[] {
  const classes = new Set<ChannelClass>();
  for (const s of services) {
    for (const c of s.publishes) classes.add(c);
    for (const g of s.consumerGroups) for (const ch of g.channels) classes.add(channelClass(ch) as ChannelClass);
  }
  return [...classes].sort();
}

/** The ACL rules of a service's Redis user. */
export function redisAccess(service: ServiceSpec, services: readonly ServiceSpec[] = SERVICES): RedisAccess {
  return {
    name: service.name,
    keys: redisKeyFamilies(service).map((f) => f.pattern),
    channels: [ANNOUNCE_CHANNEL, ...channelClassesInUse(services).map(classPubsubPattern)],
    commands: SERVICE_REDIS_COMMANDS,
  };
}
