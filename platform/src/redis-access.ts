/**
 * Least privilege in Redis (ARCHITECTURE "Security"): one ACL user per service, holding only what
 * the catalogue says it does, class by class. A service appends (through the append script) only to
 * the streams of the classes it publishes; consumes only its groups' classes, with the group
 * commands and nothing that adds an entry; reads nothing else unless its `everyChannel` says so.
 * Its own keys are declared in the catalogue (`ServiceSpec.redisKeys`). The charts
 * (cdk8s/src/redis-acl.ts) and the local `redis-users` step (`make dev`, the e2e day) grant exactly
 * this, and every pattern comes from the builder the code makes its keys with (@recio/contract).
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
import { publishedClasses } from './database-access.js';
import { SERVICES, type ServiceSpec } from './services.js';

/**
 * What a service user may run on its own keys and the classes it publishes: reads, writes,
 * streams, pub/sub, the router's scripts (EVALSHA, and EVAL when the script is not cached; never
 * SCRIPT or FUNCTION), never anything `@dangerous` (FLUSHALL, CONFIG, DEBUG, KEYS, ...); plus INFO
 * and what ioredis's Cluster client asks when it connects (the slots map and the ready check).
 * A script's own commands are checked against the same rules, key by key.
 */
export const SERVICE_REDIS_COMMANDS: readonly string[] = [
  '+@read',
  '+@write',
  '+@stream',
  '+@pubsub',
  '+evalsha',
  '+eval',
  '+@connection',
  '+@transaction',
  '-@dangerous',
  '+info',
  '+cluster|slots',
  '+cluster|shards',
  '+cluster|info',
];

/**
 * What a consumer may run on the streams of a class it consumes but does not publish: read them,
 * read and acknowledge as its group, claim a dead member's entries, create its group and members and
 * remove gone ones. Not XADD, XDEL, XTRIM, XSETID or a script: it cannot add, remove or move an
 * entry of that class.
 */
export const CONSUMER_STREAM_COMMANDS: readonly string[] = [
  '+@read',
  '+xreadgroup',
  '+xack',
  '+xautoclaim',
  '+xclaim',
  '+xgroup|create',
  '+xgroup|createconsumer',
  '+xgroup|delconsumer',
];

/** A Redis ACL selector: commands allowed on these keys only (Redis 7 `(~keys +commands)`). */
export interface RedisSelector {
  keys: string[];
  commands: readonly string[];
}

/** What one service's Redis ACL user may touch. */
export interface RedisAccess {
  /** The ACL user: the service's name. */
  name: string;
  /** Key patterns read and written with `commands` (`~pattern`). */
  keys: string[];
  /** Key patterns only read (`%R~pattern`). */
  readKeys: string[];
  /** Pub/sub channel patterns (`&pattern`). */
  channels: string[];
  /** Command rules (`+@read`, `-@dangerous`, ...). */
  commands: readonly string[];
  /** Narrower rules for other keys: the streams it consumes without publishing. */
  selectors: RedisSelector[];
}

/** Services that talk to Redis (they read REDIS_PASSWORD), each of which gets an ACL user. */
export function redisServices(services: readonly ServiceSpec[] = SERVICES): ServiceSpec[] {
  return services.filter((s) => s.env.includes('REDIS_PASSWORD'));
}

/** Every channel class the platform uses: what any service publishes to or consumes. Sorted. */
export function channelClassesInUse(services: readonly ServiceSpec[] = SERVICES): ChannelClass[] {
  const classes = new Set<ChannelClass>();
  for (const s of services) {
    for (const c of publishedClasses(s)) classes.add(c);
    for (const c of consumedClasses(s)) classes.add(c);
  }
  return [...classes].sort();
}

/** The classes of a service's consumer groups' channels. Sorted. */
export function consumedClasses(service: ServiceSpec): ChannelClass[] {
  const classes = new Set<ChannelClass>();
  for (const g of service.consumerGroups) for (const ch of g.channels) classes.add(channelClass(ch) as ChannelClass);
  return [...classes].sort();
}

/** The classes whose streams a service appends to: those it publishes, every class for the relay. */
export function appendedClasses(service: ServiceSpec, services: readonly ServiceSpec[] = SERVICES): ChannelClass[] {
  return service.everyChannel === 'append' ? channelClassesInUse(services) : publishedClasses(service);
}

/** The glob of a channel key family (streams, dead letters) over one class's channels. */
export function classKeyPattern(family: KeyFamily<[channel: string]>, cls: ChannelClass): string {
  return family.key(classPubsubPattern(cls));
}

/** The ACL rules of a service's Redis user. */
export function redisAccess(service: ServiceSpec, services: readonly ServiceSpec[] = SERVICES): RedisAccess {
  const all = channelClassesInUse(services);
  const appended = appendedClasses(service, services);
  const consumed = consumedClasses(service);
  const managed = service.everyChannel === 'manage-groups' ? all : consumed;
  const grouped = managed.filter((c) => !appended.includes(c));
  const readOnly =
    service.everyChannel === 'read' ? all.filter((c) => !appended.includes(c) && !grouped.includes(c)) : [];
  const streams = (classes: readonly ChannelClass[]) => classes.map((c) => classKeyPattern(STREAM_KEY, c));
  const pubsub = new Set([...appended, ...grouped, ...readOnly]);
  return {
    name: service.name,
    keys: [
      ...streams(appended),
      // a consumer records its dead letters, per channel, beside the channel's stream
      ...consumed.map((c) => classKeyPattern(DEAD_LETTER_KEY, c)),
      ...service.redisKeys.map((f) => f.pattern),
    ],
    readKeys: streams(readOnly),
    channels: [ANNOUNCE_CHANNEL, ...all.filter((c) => pubsub.has(c)).map(classPubsubPattern)],
    commands: SERVICE_REDIS_COMMANDS,
    selectors: grouped.length > 0 ? [{ keys: streams(grouped), commands: CONSUMER_STREAM_COMMANDS }] : [],
  };
}
