import { ANNOUNCE_CHANNEL, CHANNEL_CLASS_RE } from '@recio/contract';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DEFAULT_CHANNEL_CLASSES, type ChannelClassPolicy } from './channel-classes.js';
import { InvalidOptionError } from './errors.js';
import type { RedisConnection } from './redis/connection.js';

/** Options of an {@link EventRouter}. */
export interface RouterOptions {
  /** PostgreSQL: a connection string (the router owns the pool) or a pool the caller owns. */
  database: string | Pool;
  /** Redis: `{ url }`, `{ sentinels, name }` or `{ cluster }`. */
  redis: RedisConnection;
  /** Written into every event's `source`: the service name. */
  source: string;
  /** Channel classes and their stream length and retention. @defaultValue DEFAULT_CHANNEL_CLASSES */
  channelClasses?: Readonly<Record<string, ChannelClassPolicy>>;
  /** Where metrics are registered. @defaultValue a new Registry */
  registry?: Registry;
  /** JSON logger. @defaultValue pino at level 'info' */
  logger?: Logger;
  /** Largest event data, in bytes of JSON. @defaultValue 262144 */
  maxEventBytes?: number;
  /** Events per append call and per event_log read. @defaultValue 500 */
  batchSize?: number;
  /** Largest gap the publisher fills from event_log itself; larger ones are the relay's. @defaultValue 1000 */
  maxGapFill?: number;
  /** Pub/sub channel announcing each newly created stream (wildcard subscriptions). @defaultValue 'recio:channels' */
  announceChannel?: string;
  /** Size of the pool the router creates from a connection string. @defaultValue 10 */
  poolSize?: number;
  /**
   * Own-transaction publish statements running at once; calls arriving meanwhile are batched
   * into the next statement (group commit). One gives the largest batches and, on a small
   * machine, the highest throughput (docs/performance.md). @defaultValue 1
   */
  maxPublishStatements?: number;
  /** Redis command timeout. @defaultValue 2000 */
  redisCommandTimeoutMs?: number;
  /**
   * The classes this router may publish on; an event on another is refused (CHANNEL_NOT_PUBLISHED)
   * before anything is written. A service's router gets its catalogue entry's, so a publish the
   * service's PostgreSQL role and Redis user would be refused fails in its own tests too, where they
   * run as the owner. @defaultValue null: any known class
   */
  publishes?: readonly string[] | null;
}

/** RouterOptions with every default filled in. */
export type ResolvedRouterOptions = Required<Omit<RouterOptions, 'registry' | 'logger'>> &
  Pick<RouterOptions, 'registry' | 'logger'>;

export const ROUTER_DEFAULTS = {
  channelClasses: DEFAULT_CHANNEL_CLASSES,
  maxEventBytes: 262_144,
  batchSize: 500,
  maxGapFill: 1_000,
  announceChannel: ANNOUNCE_CHANNEL,
  poolSize: 10,
  redisCommandTimeoutMs: 2_000,
  maxPublishStatements: 1,
  publishes: null,
} as const;

/** Fills defaults and rejects bad values with a message naming the option. */
export function resolveRouterOptions(options: RouterOptions): ResolvedRouterOptions {
  const o = { ...ROUTER_DEFAULTS, ...stripUndefined(options) } as ResolvedRouterOptions;
  if (typeof o.database !== 'string' && (typeof o.database !== 'object' || o.database === null)) {
    throw new InvalidOptionError('database', 'expected a connection string or a pg Pool');
  }
  if (typeof o.source !== 'string' || !/^[a-z][a-z0-9-]{0,62}$/.test(o.source)) {
    throw new InvalidOptionError('source', 'expected a service name matching [a-z][a-z0-9-]*');
  }
  positiveInt('maxEventBytes', o.maxEventBytes);
  positiveInt('batchSize', o.batchSize);
  positiveInt('maxGapFill', o.maxGapFill);
  positiveInt('poolSize', o.poolSize);
  positiveInt('redisCommandTimeoutMs', o.redisCommandTimeoutMs);
  positiveInt('maxPublishStatements', o.maxPublishStatements);
  for (const [name, policy] of Object.entries(o.channelClasses)) {
    if (!CHANNEL_CLASS_RE.test(name)) throw new InvalidOptionError('channelClasses', `bad class name ${name}`);
    positiveInt(`channelClasses.${name}.maxLen`, policy.maxLen);
    if (policy.retentionDays !== null) positiveInt(`channelClasses.${name}.retentionDays`, policy.retentionDays);
  }
  for (const cls of o.publishes ?? []) {
    if (!(cls in o.channelClasses)) throw new InvalidOptionError('publishes', `unknown class ${cls}`);
  }
  return o;
}

/** Throws InvalidOptionError unless `value` is a positive integer. */
export function positiveInt(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(option, `expected a positive integer, got ${String(value)}`);
  }
}

/** Drops keys whose value is undefined, so they do not hide defaults when spread. */
export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
