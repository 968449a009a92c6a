import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisAddress } from './redis-conf.js';
import { startSentinelGroup, type SentinelGroup } from './sentinel-group.js';

async function onNode<T>(address: RedisAddress, fn: (c: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ ...address, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/** Writes a key on the master and waits until a replica acknowledged it. */
async function writeReplicated(master: RedisAddress, key: string, value: string): Promise<void> {
  await onNode(master, async (c) => {
    await c.set(key, value);
    expect(await c.wait(1, 10_000)).toBeGreaterThanOrEqual(1);
  });
}

describe('startSentinelGroup: SENTINEL FAILOVER', () => {
  let group: SentinelGroup;

  beforeAll(async () => {
    group = await startSentinelGroup({ replicas: 1, sentinels: 3, downAfterMs: 1000 });
  });

  afterAll(async () => {
    await group?.close();
  });

  it('starts a master that the sentinels and an ioredis sentinel client agree on', async () => {
    const master = await group.currentMaster();
    expect(master).toEqual({ host: group.nodes[0]!.host, port: group.nodes[0]!.port });
    expect(group.sentinels).toHaveLength(3);

    const client = new Redis({
      sentinels: group.sentinels,
      name: group.masterName,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    try {
      await client.connect();
      await client.set('topology:sentinel:hello', 'world');
      expect(await client.call('ROLE').then((r) => (r as unknown[])[0])).toBe('master');
      expect(await client.config('GET', 'port')).toEqual(['port', String(master.port)]);
    } finally {
      client.disconnect();
    }
  });

  it('failover() promotes the replica, which has the data written before', async () => {
    const old = await group.currentMaster();
    await writeReplicated(old, 'topology:sentinel:before-failover', 'kept');

    const promoted = await group.failover();

    expect(promoted).not.toEqual(old);
    expect(await group.currentMaster()).toEqual(promoted);
    await onNode(promoted, async (c) => {
      expect(((await c.call('ROLE')) as unknown[])[0]).toBe('master');
      expect(await c.get('topology:sentinel:before-failover')).toBe('kept');
    });
  });
});

describe('startSentinelGroup: master crash', () => {
  let group: SentinelGroup;

  beforeAll(async () => {
    group = await startSentinelGroup({ replicas: 1, sentinels: 3, downAfterMs: 1000 });
  });

  afterAll(async () => {
    await group?.close();
  });

  it('killMaster() (SIGKILL) leads the sentinels to a new master within a bounded wait', async () => {
    const before = await group.currentMaster();
    await writeReplicated(before, 'topology:sentinel:before-crash', 'kept');

    const old = await group.killMaster();
    expect(old).toEqual(before);
    const promoted = await group.waitForNewMaster(old, 60_000);

    expect(promoted).not.toEqual(old);
    await onNode(promoted, async (c) => {
      expect(((await c.call('ROLE')) as unknown[])[0]).toBe('master');
      expect(await c.get('topology:sentinel:before-crash')).toBe('kept');
    });
  });
});
