/**
 * The charts' Redis Cluster files under six real redis-server processes: the cluster-forming
 * script the Job runs forms 3 masters + 3 replicas with the ACL users only, and run again touches
 * nothing; the router publishes, consumes and relays on it as a service's and the relay's ACL users;
 * a master killed is replaced by its replica; the killed node comes back on another IP address, as a
 * pod does, with its identity (its nodes.conf), and rejoins as a replica.
 */
import { LIVE_TRADES_KEY, PRICE_CACHE_KEY } from '@recio/contract';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isPortFree } from '@recio/topology';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Relay, streamKey, type RecioEvent } from '@recio/router';
import { testRouter, createTestDatabase, until } from '@recio/test-support';
import { chartObjects, configMapData } from '../test/chart-objects.js';
import { Clients, passwords, substitute } from '../test/chart-redis.js';
import { clusterCreateScript } from './redis-cluster.js';

const run = promisify(execFile);

/** A port whose cluster bus port (+10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await isPortFree(port)) && (await isPortFree(port + 10_000))) {
      taken.add(port).add(port + 10_000);
      return port;
    }
  }
}

/** CLUSTER NODES of one node: id → { ip, port, flags, master id }. */
async function clusterNodes(
  text: string,
): Promise<Map<string, { ip: string; port: number; flags: string[]; master: string }>> {
  return new Map(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const [id, addr, flags, master] = line.split(' ') as [string, string, string, string];
        const [, ip, port] = /^(.*):(\d+)@/.exec(addr) ?? [];
        return [id, { ip: ip ?? '', port: Number(port), flags: flags.split(','), master }];
      }),
  );
}

describe('charts Redis Cluster files under real servers', () => {
  const procs = new Map<number, ChildProcess>();
  const clients = new Clients();
  const ports: number[] = [];
  let dir = '';
  let conf = '';
  let secrets = '';
  const nodesOf = async (port: number, host?: string) =>
    clusterNodes((await clients.connect(port, 'admin', host).call('CLUSTER', 'NODES')) as string);
  const clusterInfo = async (port: number) => (await clients.connect(port, 'admin').call('CLUSTER', 'INFO')) as string;
  // A node has one address, as a pod has: it listens there and its connections leave from there.
  const startNode = (port: number, host = '127.0.0.1') => {
    const file = join(dir, String(port), 'redis.conf');
    const args = [
      file,
      '--port',
      String(port),
      '--bind',
      host,
      '--bind-source-addr',
      host,
      '--logfile',
      join(dir, String(port), 'redis.log'),
    ];
    procs.set(port, spawn('redis-server', args, { stdio: 'ignore' }));
  };
  const createScript = () =>
    run(
      'sh',
      [
        '-c',
        clusterCreateScript(
          ports.map((p) => `127.0.0.1:${p}`),
          secrets,
        ),
      ],
      { timeout: 120_000 },
    );

  beforeAll(async () => {
    conf = configMapData(chartObjects({ profile: 'kind', redisMode: 'cluster' }), 'redis-cluster-config')[
      'redis.conf'
    ]!;
    dir = await mkdtemp(join(tmpdir(), 'recio-charts-cluster-'));
    secrets = join(dir, 'secrets');
    await mkdir(secrets);
    await writeFile(join(secrets, 'admin'), passwords['admin']!);
    const taken = new Set<number>();
    for (let i = 0; i < 6; i++) ports.push(await freeClusterPort(taken));
    for (const port of ports) {
      await mkdir(join(dir, String(port)));
      // What redis-start.sh writes into the pod's /data, with this node's own folder as /data.
      const text = substitute(conf, { SELF_HOST: '127.0.0.1' }).replace(
        /^dir \/data$/m,
        `dir ${join(dir, String(port))}`,
      );
      await writeFile(join(dir, String(port), 'redis.conf'), text);
      startNode(port);
    }
  });

  afterAll(async () => {
    clients.closeAll();
    for (const p of procs.values()) p.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is formed by the Job script: 3 masters with a replica each, every slot served', async () => {
    const { stdout } = await createScript();
    expect(stdout).toContain('[OK] All 16384 slots covered');
    await until(
      'cluster_state:ok on every node',
      async () => {
        const infos = await Promise.all(ports.map(clusterInfo));
        return infos.every((i) => i.includes('cluster_state:ok') && i.includes('cluster_known_nodes:6'))
          ? true
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
    // replicas are known as such once the gossip has gone round
    const roles = await until(
      '3 masters and 3 replicas',
      async () => {
        const nodes = [...(await nodesOf(ports[0]!)).values()];
        const count = (flag: string) => nodes.filter((n) => n.flags.includes(flag)).length;
        return count('master') === 3 && count('slave') === 3 ? nodes : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(new Set(roles.filter((n) => n.flags.includes('slave')).map((n) => n.master)).size).toBe(3);
    // every replica synced through the replication ACL user (a first full sync takes a few seconds)
    for (const replica of roles.filter((n) => n.flags.includes('slave'))) {
      await until(
        `replica ${replica.port} in sync`,
        async () =>
          (await clients.connect(replica.port, 'admin').info('replication')).includes('master_link_status:up')
            ? true
            : undefined,
        { timeoutMs: 30_000 },
      );
    }
    // a service reaches it with its own ACL user, as the router does
    const cluster = new Cluster(
      ports.map((port) => ({ host: '127.0.0.1', port })),
      {
        redisOptions: { username: 'btc-price-watchdog', password: passwords['btc-price-watchdog']! },
      },
    );
    try {
      // its cache keys, spread over the masters (streams are the router's, tested below); not another's
      for (const k of ['a', 'b', 'c', 'd']) await cluster.set(PRICE_CACHE_KEY.key(k), k, 'EX', 60);
      expect(await cluster.get(PRICE_CACHE_KEY.key('c'))).toBe('c');
      await expect(cluster.set(LIVE_TRADES_KEY.key('a'), 'x', 'EX', 60)).rejects.toThrow(/NOPERM/);
    } finally {
      cluster.disconnect();
    }
  }, 120_000);

  it('carries events for a service and the relay, each as its own ACL user', async () => {
    const db = await createTestDatabase({ redisUrl: null });
    const as = (user: string) => ({
      cluster: ports.map((port) => ({ host: '127.0.0.1', port })),
      username: user,
      password: passwords[user]!,
    });
    const service = await testRouter(db.url, { redis: as('trade-manager') });
    const relayRouter = await testRouter(db.url, { redis: as('relay') });
    const relay = new Relay(relayRouter, { databaseUrl: db.url });
    const seen: string[] = [];
    const consumer = await service.consume({
      group: 'acl-check',
      consumer: 'trade-manager-0',
      channels: ['trades:*'],
      handler: async (e: RecioEvent) => void seen.push(`${e.channel}#${e.seq}`),
    });
    try {
      for (const user of ['user_0001', 'user_0002'])
        for (const n of [1, 2]) await service.publish(`trades:${user}`, 'trade.opened', { n });
      await expect
        .poll(() => [...seen].sort(), { timeout: 20_000 })
        .toEqual(['trades:user_0001#1', 'trades:user_0001#2', 'trades:user_0002#1', 'trades:user_0002#2']);
      // the relay, as its own user, puts back a stream that was lost
      await service.redis.del(streamKey('trades:user_0002'));
      expect((await relay.fullSweep()).behind).toBe(1);
      expect(await service.redis.xlen(streamKey('trades:user_0002'))).toBe(2);
    } finally {
      await consumer.close();
      await relay.close();
      await relayRouter.close();
      await service.close();
      await db.drop();
    }
  }, 120_000);

  it('run again, touches nothing', async () => {
    const before = await nodesOf(ports[0]!);
    const { stdout } = await createScript();
    expect(stdout).toMatch(/^cluster already formed \(127\.0\.0\.1:\d+ knows 6 nodes, 16384 slots\)$/m);
    expect([...(await nodesOf(ports[0]!)).keys()].sort()).toEqual([...before.keys()].sort());
  }, 60_000);

  it('replaces a killed master by its replica; the node comes back on a new IP address with its identity, as a replica', async () => {
    const nodes = await nodesOf(ports[0]!);
    const [victimId, victim] = [...nodes].find(([, n]) => n.flags.includes('master') && n.port !== ports[0])!;
    const [replicaId] = [...nodes].find(([, n]) => n.master === victimId)!;
    const idOnDisk = (await readFile(join(dir, String(victim.port), 'nodes.conf'), 'utf8'))
      .split('\n')
      .find((l) => l.includes('myself'))!
      .split(' ')[0];
    expect(idOnDisk).toBe(victimId);

    procs.get(victim.port)!.kill('SIGKILL');
    // cluster-node-timeout 5000, then the replica's election
    await until(
      'the replica promoted',
      async () => ((await nodesOf(ports[0]!)).get(replicaId)?.flags.includes('master') ? true : undefined),
      { timeoutMs: 60_000 },
    );
    await until(
      'cluster_state:ok without the dead node',
      async () => ((await clusterInfo(ports[0]!)).includes('cluster_state:ok') ? true : undefined),
      { timeoutMs: 30_000 },
    );

    // back as a rescheduled pod is: same data directory, another IP address
    const newIp = '127.0.0.2';
    startNode(victim.port, newIp);
    await until(
      'the old master back, same id, replicating the new master',
      async () => {
        const back = (await nodesOf(victim.port, newIp)).get(victimId);
        return back?.flags.includes('myself') && back.flags.includes('slave') && back.master === replicaId
          ? true
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await until('its replication link up', async () =>
      (await clients.connect(victim.port, 'admin', newIp).info('replication')).includes('master_link_status:up')
        ? true
        : undefined,
    );
    expect(await clients.connect(victim.port, 'admin', newIp).call('CLUSTER', 'MYID')).toBe(victimId);
    // every other node knows it under its old id at the new address
    for (const port of ports.filter((p) => p !== victim.port)) {
      await until(
        `node ${port} to see the new address`,
        async () => ((await nodesOf(port)).get(victimId)?.ip === newIp ? true : undefined),
        { timeoutMs: 30_000 },
      );
    }
    expect((await nodesOf(ports[0]!)).size).toBe(6);
  }, 180_000);
});
