import { Redis, type RedisOptions } from 'ioredis';

/** Where and as whom to connect to a Redis server or sentinel. */
export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
}

/**
 * Opens a short-lived client that fails fast: no reconnects, no offline queue, no ready check
 * (a probe must see `-LOADING` rather than wait it out). Close it with `disconnect()`.
 */
export async function connectRedis(target: RedisTarget | string, timeoutMs = 2000): Promise<Redis> {
  const options: RedisOptions = {
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  };
  const client = typeof target === 'string' ? new Redis(target, options) : new Redis({ ...target, ...options });
  // Failures surface through the rejected promises below; without a listener ioredis logs them.
  let socketError: unknown;
  client.on('error', (err: unknown) => {
    socketError ??= err;
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    // connect() rejects with a bare "Connection is closed."; the socket error says why (ECONNREFUSED, …).
    throw socketError ?? err;
  }
  return client;
}

/** Runs `fn` with a short-lived client and always disconnects it. */
export async function withRedis<T>(
  target: RedisTarget | string,
  fn: (client: Redis) => Promise<T>,
  timeoutMs = 2000,
): Promise<T> {
  const client = await connectRedis(target, timeoutMs);
  try {
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/** Resolves when the server answers PING with PONG; rejects with the connection or reply error. */
export async function pingRedis(target: RedisTarget | string, timeoutMs = 1000): Promise<void> {
  await withRedis(
    target,
    async (client) => {
      const reply = await client.ping();
      if (reply !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(reply)}`);
    },
    timeoutMs,
  );
}

/**
 * Ready means *our* process serves: the pid in INFO is the child's (on a port another server
 * holds, a reply would come from that server while ours fails to bind and exits), and it is not
 * loading its AOF/RDB any more (INFO answers during loading; most commands get -LOADING).
 */
export async function redisServesAs(target: RedisTarget, pid: number | undefined): Promise<boolean> {
  const info = await withRedis(target, (c) => c.info(), 1000);
  const servingPid = /^process_id:(\d+)/m.exec(info)?.[1];
  const loading = /^loading:(\d)/m.exec(info)?.[1] ?? '0'; // sentinels report no persistence section
  return pid !== undefined && servingPid === String(pid) && loading === '0';
}

/** Parses a flat [field, value, field, value, …] reply (SENTINEL MASTER, CLUSTER INFO fields) into a record. */
export function fieldsToRecord(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}
