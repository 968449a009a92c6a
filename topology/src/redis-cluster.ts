import type { Redis } from 'ioredis';
import { InvalidOptionError } from './errors.js';
import { withRedis } from './redis-client.js';
import type { RedisAddress, RedisConfOptions } from './redis-conf.js';
import { startRedisServer, type RedisServerHandle } from './redis-process.js';
import { checkPositiveInt, withDefaults } from './validate.js';
import { waitFor } from './wait.js';

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /**
   * Master nodes; the 16384 slots are split evenly among them.
   * @defaultValue 3
   */
  masters?: number;
  /**
   * Replicas per master.
   * @defaultValue 0
   */
  replicasPerMaster?: number;
  /**
   * cluster-node-timeout of every node.
   * @defaultValue 2000
   */
  nodeTimeoutMs?: number;
  /**
   * Settings for every node (cluster mode is added).
   * @defaultValue renderRedisConf's defaults
   */
  redis?: Omit<RedisConfOptions, 'port' | 'dir' | 'replicaOf' | 'cluster'>;
  /**
   * How long forming the cluster may take.
   * @defaultValue 30000
   */
  timeoutMs?: number;
}

/** A local Redis Cluster. */
export interface RedisCluster {
  /** All nodes: the masters first, then the replicas. */
  readonly nodes: RedisServerHandle[];
  /** Addresses for ioredis `new Cluster(startupNodes)`. */
  readonly startupNodes: RedisAddress[];
  /** Stops every node and removes their directories. Idempotent. */
  close(): Promise<void>;
}

const DEFAULTS = { masters: 3, replicasPerMaster: 0, nodeTimeoutMs: 2000, timeoutMs: 30_000 };
const SLOTS = 16_384;

/**
 * Starts cluster-enabled nodes and forms the cluster with CLUSTER SET-CONFIG-EPOCH,
 * ADDSLOTSRANGE (Redis 7.0+), MEET and REPLICATE, the same steps `redis-cli --cluster create`
 * takes, then waits until every node reports cluster_state:ok and the same masters and replicas.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const o = withDefaults(DEFAULTS, options);
  checkPositiveInt('masters', o.masters);
  checkPositiveInt('replicasPerMaster', o.replicasPerMaster, 0);
  if (o.masters > SLOTS) throw new InvalidOptionError('masters', `must be <= ${SLOTS}`);
  const total = o.masters * (1 + o.replicasPerMaster);
  const password = o.redis?.requirePass;
  const config: RedisConfOptions = {
    replDisklessSyncDelaySeconds: 0,
    ...(password === undefined ? {} : { masterAuth: password }),
    ...o.redis,
    cluster: { enabled: true, nodeTimeoutMs: o.nodeTimeoutMs },
  };

  const nodes: RedisServerHandle[] = [];
  const closeAll = async (): Promise<void> => {
    for (const n of [...nodes].reverse()) await n.close().catch(() => undefined);
  };
  try {
    const started = await Promise.allSettled(Array.from({ length: total }, () => startRedisServer({ config })));
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;

    const on = <T>(node: RedisServerHandle, fn: (c: Redis) => Promise<T>): Promise<T> =>
      withRedis({ host: node.host, port: node.port, password }, fn);
    const ids = await Promise.all(nodes.map((n) => on(n, (c) => c.call('CLUSTER', 'MYID') as Promise<string>)));

    // Distinct config epochs before the nodes meet, so no epoch collision has to be resolved.
    await Promise.all(nodes.map((n, i) => on(n, (c) => c.call('CLUSTER', 'SET-CONFIG-EPOCH', i + 1))));
    await Promise.all(
      nodes.slice(0, o.masters).map((n, i) => {
        const first = Math.floor((i * SLOTS) / o.masters);
        const last = Math.floor(((i + 1) * SLOTS) / o.masters) - 1;
        return on(n, (c) => c.call('CLUSTER', 'ADDSLOTSRANGE', first, last));
      }),
    );
    const seed = nodes[0]!;
    await Promise.all(nodes.slice(1).map((n) => on(n, (c) => c.call('CLUSTER', 'MEET', seed.host, seed.port))));
    await waitFor(
      'every node to know every other node',
      async () =>
        (await Promise.all(nodes.map((n) => on(n, knownNodes)))).every((k) => k === total) ? true : undefined,
      { timeoutMs: o.timeoutMs },
    );

    // Replica r of master m is node masters + m * replicasPerMaster + r.
    await Promise.all(
      nodes
        .slice(o.masters)
        .map((n, j) => on(n, (c) => c.call('CLUSTER', 'REPLICATE', ids[Math.floor(j / o.replicasPerMaster)]!))),
    );

    let last = '';
    await waitFor(
      'cluster_state:ok with every master and replica in place on every node',
      async () => {
        const views = await Promise.all(nodes.map((n) => on(n, (c) => clusterView(c))));
        last = JSON.stringify(views);
        const ok = views.every(
          (v) => v.state === 'ok' && v.slotsOk === SLOTS && v.masters === o.masters && v.replicas === total - o.masters,
        );
        if (!ok) return undefined;
        const roles = await Promise.all(nodes.slice(o.masters).map((n) => on(n, (c) => c.call('ROLE'))));
        return roles.every((r) => Array.isArray(r) && r[0] === 'slave' && r[3] === 'connected') ? true : undefined;
      },
      { timeoutMs: o.timeoutMs, intervalMs: 200, describe: () => `last view per node: ${last}` },
    );
  } catch (err) {
    await closeAll();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    nodes,
    startupNodes: nodes.slice(0, o.masters).map((n) => ({ host: n.host, port: n.port })),
    close: () => (closing ??= closeAll()),
  };
}

/** Nodes this node knows that have finished the handshake. */
async function knownNodes(c: Redis): Promise<number> {
  const lines = parseClusterNodes((await c.call('CLUSTER', 'NODES')) as string);
  return lines.filter((l) => !l.flags.includes('handshake') && !l.flags.includes('noaddr')).length;
}

async function clusterView(c: Redis): Promise<{ state: string; slotsOk: number; masters: number; replicas: number }> {
  const info = parseInfo((await c.call('CLUSTER', 'INFO')) as string);
  const lines = parseClusterNodes((await c.call('CLUSTER', 'NODES')) as string);
  const healthy = lines.filter(
    (l) => !l.flags.some((f) => f === 'fail' || f === 'fail?' || f === 'handshake' || f === 'noaddr'),
  );
  return {
    state: info['cluster_state'] ?? '',
    slotsOk: Number(info['cluster_slots_ok'] ?? 0),
    masters: healthy.filter((l) => l.flags.includes('master') && l.slots > 0).length,
    replicas: healthy.filter((l) => l.flags.includes('slave') && l.linkState === 'connected').length,
  };
}

interface ClusterNodeLine {
  flags: string[];
  linkState: string;
  slots: number;
}

/** Parses CLUSTER NODES: `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot>...`. */
function parseClusterNodes(text: string): ClusterNodeLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => {
      const f = l.trim().split(' ');
      const slots = f.slice(8).reduce((sum, range) => {
        if (range.startsWith('[')) return sum; // a slot being migrated
        const [a, b] = range.split('-').map(Number);
        return sum + (b === undefined ? 1 : b - (a ?? b) + 1);
      }, 0);
      return { flags: (f[2] ?? '').split(','), linkState: f[7] ?? '', slots };
    });
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}
