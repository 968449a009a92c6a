import { backoffDelay, type BackoffPolicy } from '@recio/contract';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import { InvalidOptionError } from '../errors.js';

const hostPort = z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) });

/**
 * Where Redis is: one URL (standalone), Sentinel (the sentinels plus the master name), or
 * Cluster (some startup nodes). The same router code runs on all three (invariant 12).
 */
export const redisConnectionSchema = z.union([
  z
    .object({
      url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://'),
      // An ACL user given apart from the URL (REDIS_USERNAME, REDIS_PASSWORD) wins over the URL's.
      username: z.string().optional(),
      password: z.string().optional(),
    })
    .strict(),
  z
    .object({
      sentinels: z.array(hostPort).min(1),
      name: z.string().min(1),
      username: z.string().optional(),
      password: z.string().optional(),
      sentinelPassword: z.string().optional(),
      tls: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      cluster: z.array(hostPort).min(1),
      username: z.string().optional(),
      password: z.string().optional(),
      tls: z.boolean().optional(),
    })
    .strict(),
]);

/** See {@link redisConnectionSchema}. */
export type RedisConnection = z.infer<typeof redisConnectionSchema>;

/** A connected client of any topology. */
export type RedisClient = Redis | Cluster;

/** How a client behaves while Redis is away. */
export interface RedisClientBehaviour {
  /**
   * Queue commands while disconnected (true) or fail them at once (false). The publisher's
   * fast path and the relay fail fast: the relay converges Redis once it is back.
   * @defaultValue false
   */
  offlineQueue?: boolean;
  /** Fail a command that gets no reply within this time. @defaultValue 2000 */
  commandTimeoutMs?: number;
  /** Client name shown by CLIENT LIST (e.g. the consumer name). */
  connectionName?: string;
}

/** Parses a connection description; throws InvalidOptionError naming the bad field. */
export function parseRedisConnection(value: unknown): RedisConnection {
  const parsed = redisConnectionSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidOptionError(
      'redis',
      'expected { url } | { sentinels, name } | { cluster }: ' + z.prettifyError(parsed.error),
    );
  }
  return parsed.data;
}

// Reconnect forever with capped exponential backoff: an outage is waited out, never fatal.
const REDIS_RECONNECT: BackoffPolicy = { baseMs: 50, maxMs: 2_000 };
const retryStrategy = (times: number): number => backoffDelay(REDIS_RECONNECT, times);

/**
 * Opens a client for the given topology. Commands are not auto-pipelined: most go out one at a time
 * (a publisher's append after its commit), and ioredis' auto-pipelining made each such command cost
 * about 25 µs more CPU (a pipeline per tick) than writing it at once (docs/performance.md, issue 14).
 */
export function createRedisClient(connection: RedisConnection, behaviour: RedisClientBehaviour = {}): RedisClient {
  const common: RedisOptions = {
    enableOfflineQueue: behaviour.offlineQueue ?? false,
    commandTimeout: behaviour.commandTimeoutMs ?? 2_000,
    maxRetriesPerRequest: behaviour.offlineQueue ? 20 : 1,
    retryStrategy,
    connectionName: behaviour.connectionName,
  };
  if ('url' in connection) {
    const { username, password } = connection;
    return new Redis(connection.url, {
      ...common,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
    });
  }
  if ('sentinels' in connection) {
    return new Redis({
      ...common,
      sentinels: connection.sentinels,
      name: connection.name,
      username: connection.username,
      password: connection.password,
      sentinelPassword: connection.sentinelPassword,
      ...(connection.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      sentinelRetryStrategy: retryStrategy,
      // After a failover, drop the connection to a demoted master at once (READONLY replies).
      failoverDetector: true,
    });
  }
  const clusterOptions: ClusterOptions = {
    enableOfflineQueue: common.enableOfflineQueue,
    clusterRetryStrategy: retryStrategy,
    redisOptions: {
      ...common,
      username: connection.username,
      password: connection.password,
      ...(connection.tls ? { tls: {} } : {}),
    },
  };
  return new Cluster(connection.cluster, clusterOptions);
}

/** Resolves once the client is ready, or rejects after `timeoutMs`. */
export async function waitForRedis(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}

/**
 * A second connection to the same Redis for pub/sub (subscriber mode needs its own), which,
 * unlike the command client, queues (re)subscriptions while disconnected.
 */
export function subscriberClient(client: RedisClient): RedisClient {
  if (client instanceof Cluster) return client.duplicate(undefined, { enableOfflineQueue: true });
  return client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
}
