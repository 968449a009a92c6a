import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerStartError } from './errors.js';
import { startRedisServer, type RedisServerHandle } from './redis-process.js';
import { waitFor } from './wait.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withClient<T>(server: RedisServerHandle, fn: (c: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(server.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

describe('startRedisServer', () => {
  let server: RedisServerHandle;

  beforeAll(async () => {
    server = await startRedisServer({ config: { maxmemory: '64mb', maxmemoryPolicy: 'volatile-lru' } });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('runs the rendered config: AOF everysec, RDB rules, the chosen eviction policy', async () => {
    const config = await withClient(server, async (c) =>
      Object.fromEntries(
        await Promise.all(
          ['appendonly', 'appendfsync', 'save', 'maxmemory-policy', 'maxmemory', 'daemonize', 'dir'].map(async (k) => {
            const [key, value] = (await c.config('GET', k)) as [string, string];
            return [key, value];
          }),
        ),
      ),
    );
    expect(config).toEqual({
      appendonly: 'yes',
      appendfsync: 'everysec',
      save: '900 1 300 10 60 10000',
      'maxmemory-policy': 'volatile-lru',
      maxmemory: String(64 * 1024 * 1024),
      daemonize: 'no',
      dir: server.dir,
    });
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
  });

  it('keeps acknowledged writes across kill -9 and restart (AOF), on the same port', async () => {
    await withClient(server, async (c) => {
      await c.set('topology:test:k', 'v1');
      await c.xadd('stream:{topology:test}', '1-0', 'type', 'created');
      await c.xadd('stream:{topology:test}', '2-0', 'type', 'closed');
      // With appendfsync everysec Redis may postpone writing its AOF buffer (up to 2 s) while a
      // background fsync runs, replies still going out: that is the "lose ~1 s" of everysec. Wait
      // until the buffer reached the file, from where a SIGKILL cannot take it.
      await waitFor(
        'the AOF buffer written to the file',
        async () => (/^aof_buffer_length:0\r?$/m.test(await c.info('persistence')) ? true : undefined),
        { timeoutMs: 10_000, intervalMs: 20 },
      );
    });
    const oldPid = server.pid;
    expect(oldPid).toBeDefined();

    await server.kill('SIGKILL');
    expect(server.pid).toBeUndefined();
    expect(isRunning(oldPid!)).toBe(false);

    await server.restart();
    expect(server.pid).toBeDefined();
    expect(server.pid).not.toBe(oldPid);
    await withClient(server, async (c) => {
      expect(await c.get('topology:test:k')).toBe('v1');
      const entries = await c.xrange('stream:{topology:test}', '-', '+');
      expect(entries.map(([id]) => id)).toEqual(['1-0', '2-0']);
    });
  });

  it('reports a server that exits during start-up, with its log, and removes its temp dir', async () => {
    // The port is taken by `server`, so this redis-server exits at once.
    const err = await startRedisServer({ port: server.port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerStartError);
    expect((err as ServerStartError).code).toBe('ERR_TOPOLOGY_SERVER_EXITED');
    expect((err as ServerStartError).logTail).not.toBe('');
  });

  it('close() stops the process and removes the temp dir, and can be called again', async () => {
    const other = await startRedisServer();
    const pid = other.pid!;
    await Promise.all([other.close(), other.close()]);
    await other.close();
    expect(isRunning(pid)).toBe(false);
    expect(existsSync(other.dir)).toBe(false);
  });
});
