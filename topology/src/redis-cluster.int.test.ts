import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from './redis-cluster.js';

async function clusterInfo(host: string, port: number): Promise<Record<string, string>> {
  const client = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const text = (await client.call('CLUSTER', 'INFO')) as string;
    return Object.fromEntries(
      text
        .split(/\r?\n/)
        .filter((l) => l.includes(':'))
        .map((l) => l.split(':') as [string, string]),
    );
  } finally {
    client.disconnect();
  }
}

describe('startRedisCluster: 3 masters', () => {
  let cluster: RedisCluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('reports cluster_state:ok with all slots assigned on every node', async () => {
    expect(cluster.nodes).toHaveLength(3);
    for (const node of cluster.nodes) {
      const info = await clusterInfo(node.host, node.port);
      expect(info).toMatchObject({
        cluster_state: 'ok',
        cluster_slots_assigned: '16384',
        cluster_size: '3',
        cluster_known_nodes: '3',
      });
    }
  });

  it('serves an ioredis Cluster client across slots, and hash-tagged multi-key commands on one slot', async () => {
    const client = new Cluster(cluster.startupNodes, { lazyConnect: true });
    try {
      await client.connect();
      const keys = Array.from({ length: 60 }, (_, i) => `topology:cluster:${i}`);
      for (const key of keys) await client.set(key, key);
      for (const key of keys) expect(await client.get(key)).toBe(key);

      // The keys landed on every master, so the client really followed the slot map.
      const sizes = await Promise.all(client.nodes('master').map((n) => n.dbsize()));
      expect(sizes).toHaveLength(3);
      for (const size of sizes) expect(size).toBeGreaterThan(0);

      await client.mset('{topology:tag}:a', '1', '{topology:tag}:b', '2');
      expect(await client.mget('{topology:tag}:a', '{topology:tag}:b')).toEqual(['1', '2']);
    } finally {
      client.disconnect();
    }
  });
});

describe('startRedisCluster: 3 masters + 3 replicas (the shipped cluster shape)', () => {
  let cluster: RedisCluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('gives every master one connected replica', async () => {
    expect(cluster.nodes).toHaveLength(6);
    for (const node of cluster.nodes) {
      expect(await clusterInfo(node.host, node.port)).toMatchObject({
        cluster_state: 'ok',
        cluster_size: '3',
        cluster_known_nodes: '6',
      });
    }
    for (const replica of cluster.nodes.slice(3)) {
      const client = new Redis({ host: replica.host, port: replica.port, lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await client.connect();
        const role = (await client.call('ROLE')) as unknown[];
        expect(role[0]).toBe('slave');
        expect(role[3]).toBe('connected');
        expect(cluster.startupNodes.map((n) => n.port)).toContain(Number(role[2]));
      } finally {
        client.disconnect();
      }
    }
  });
});
