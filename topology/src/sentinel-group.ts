import { fieldsToRecord, withRedis, type RedisTarget } from './redis-client.js';
import type { RedisAddress, RedisConfOptions } from './redis-conf.js';
import { startRedisServer, startSentinel, type RedisServerHandle } from './redis-process.js';
import { InvalidOptionError } from './errors.js';
import { checkPositiveInt, withDefaults } from './validate.js';
import { sleep, waitFor } from './wait.js';

/** Options of {@link startSentinelGroup}. */
export interface SentinelGroupOptions {
  /**
   * Replicas of the master.
   * @defaultValue 1
   */
  replicas?: number;
  /**
   * Sentinels.
   * @defaultValue 3
   */
  sentinels?: number;
  /**
   * Sentinel master name.
   * @defaultValue 'recio'
   */
  masterName?: string;
  /**
   * Sentinels that must agree the master is down.
   * @defaultValue a majority of the sentinels
   */
  quorum?: number;
  /**
   * Sentinel down-after-milliseconds; small so failover tests are quick.
   * @defaultValue 1000
   */
  downAfterMs?: number;
  /**
   * Sentinel failover-timeout.
   * @defaultValue 10000
   */
  failoverTimeoutMs?: number;
  /**
   * Settings for every Redis node (replicas get `replicaOf` added).
   * @defaultValue renderRedisConf's defaults
   */
  redis?: Omit<RedisConfOptions, 'port' | 'dir' | 'replicaOf' | 'cluster'>;
  /**
   * How long start-up and each topology change may take.
   * @defaultValue 30000
   */
  timeoutMs?: number;
}

/** A local master, its replicas and the sentinels watching them. */
export interface SentinelGroup {
  readonly masterName: string;
  /** Sentinel addresses, for ioredis `{ sentinels, name }`. */
  readonly sentinels: RedisAddress[];
  /** The sentinel processes. */
  readonly sentinelServers: RedisServerHandle[];
  /** The Redis nodes; `nodes[0]` started as the master, which changes with failovers. */
  readonly nodes: RedisServerHandle[];
  /** The master address a majority of the answering sentinels report. */
  currentMaster(): Promise<RedisAddress>;
  /** SENTINEL FAILOVER, then waits for the new master (see {@link SentinelGroup.waitForNewMaster}). */
  failover(): Promise<RedisAddress>;
  /** SIGKILLs the current master's process and returns its address; the sentinels then fail over. */
  killMaster(): Promise<RedisAddress>;
  /** Waits until every running sentinel reports a master other than `old` and that node has role master. */
  waitForNewMaster(old: RedisAddress, timeoutMs?: number): Promise<RedisAddress>;
  /** Stops the sentinels, then the nodes, and removes their directories. Idempotent. */
  close(): Promise<void>;
}

const DEFAULTS = {
  replicas: 1,
  sentinels: 3,
  masterName: 'recio',
  downAfterMs: 1000,
  failoverTimeoutMs: 10_000,
  timeoutMs: 30_000,
};

/** Starts 1 master + N replicas + M sentinels on free ports and waits until the sentinels agree on all of them. */
export async function startSentinelGroup(options: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const o = withDefaults(DEFAULTS, options);
  checkPositiveInt('replicas', o.replicas, 0);
  checkPositiveInt('sentinels', o.sentinels);
  const quorum = o.quorum ?? Math.floor(o.sentinels / 2) + 1;
  if (quorum > o.sentinels)
    throw new InvalidOptionError('quorum', `must be <= sentinels (${o.sentinels}), got ${quorum}`);

  const password = o.redis?.requirePass;
  // Any node may become a replica after a failover, so every node carries the replication password.
  // No diskless-sync delay: replicas (and a demoted master) resync at once instead of after 5 s.
  const nodeConfig = {
    replDisklessSyncDelaySeconds: 0,
    ...(password === undefined ? {} : { masterAuth: password }),
    ...o.redis,
  };
  const nodes: RedisServerHandle[] = [];
  const sentinelServers: RedisServerHandle[] = [];
  const closeAll = async (): Promise<void> => {
    // Sentinels first, so none fails over a master we are about to stop.
    for (const s of [...sentinelServers].reverse()) await s.close().catch(() => undefined);
    for (const n of [...nodes].reverse()) await n.close().catch(() => undefined);
  };
  try {
    const master = await startRedisServer({ config: nodeConfig });
    nodes.push(master);
    const masterAddress = { host: master.host, port: master.port };
    const replicas = await Promise.allSettled(
      Array.from({ length: o.replicas }, () =>
        startRedisServer({ config: { ...nodeConfig, replicaOf: masterAddress } }),
      ),
    );
    for (const r of replicas) if (r.status === 'fulfilled') nodes.push(r.value);
    for (const r of replicas) if (r.status === 'rejected') throw r.reason;

    // Start the sentinels only once the replicas are online: a sentinel learns of replicas from the
    // master's INFO, which it re-reads only every 10 s after the first time.
    await waitFor(
      'replicas to sync with the master',
      () => onlineReplicas({ ...masterAddress, password }, o.replicas),
      { timeoutMs: o.timeoutMs },
    );

    const started = await Promise.allSettled(
      Array.from({ length: o.sentinels }, () =>
        startSentinel({
          config: {
            master: masterAddress,
            masterName: o.masterName,
            quorum,
            downAfterMs: o.downAfterMs,
            failoverTimeoutMs: o.failoverTimeoutMs,
            ...(password === undefined ? {} : { authPass: password }),
          },
        }),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') sentinelServers.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;

    let lastState = '';
    await waitFor(
      'the sentinels to agree on the master, its replicas and each other',
      async () => {
        const states = await Promise.all(sentinelServers.map((s) => sentinelView(s, o.masterName)));
        lastState = JSON.stringify(states);
        const agreed = states.every(
          (st) =>
            sameAddress(st.master, masterAddress) && st.goodReplicas === o.replicas && st.goodPeers === o.sentinels - 1,
        );
        return agreed ? true : undefined;
      },
      { timeoutMs: o.timeoutMs, intervalMs: 200, describe: () => `last view per sentinel: ${lastState}` },
    );
  } catch (err) {
    await closeAll();
    throw err;
  }

  return new LocalSentinelGroup(o.masterName, nodes, sentinelServers, o.timeoutMs, password, closeAll);
}

class LocalSentinelGroup implements SentinelGroup {
  readonly sentinels: RedisAddress[];
  #closing: Promise<void> | undefined;

  constructor(
    readonly masterName: string,
    readonly nodes: RedisServerHandle[],
    readonly sentinelServers: RedisServerHandle[],
    private readonly timeoutMs: number,
    private readonly nodePassword: string | undefined,
    private readonly closeAll: () => Promise<void>,
  ) {
    this.sentinels = sentinelServers.map((s) => ({ host: s.host, port: s.port }));
  }

  async currentMaster(): Promise<RedisAddress> {
    const answers = await this.#masterAnswers();
    const counts = new Map<string, { address: RedisAddress; count: number }>();
    for (const a of answers) {
      const key = `${a.host}:${a.port}`;
      const entry = counts.get(key) ?? { address: a, count: 0 };
      entry.count += 1;
      counts.set(key, entry);
    }
    const best = [...counts.values()].sort((a, b) => b.count - a.count)[0];
    if (best === undefined) throw new Error(`no sentinel of "${this.masterName}" answered`);
    return best.address;
  }

  async failover(): Promise<RedisAddress> {
    const old = await this.currentMaster();
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      try {
        await sentinelCall(this.#runningSentinels()[0] ?? this.sentinelServers[0]!, ['FAILOVER', this.masterName]);
        break;
      } catch (err) {
        // Reply prefixes: NOGOODSLAVE while the sentinel's replica info is stale, INPROG while
        // another failover runs (then waiting for its outcome is all there is to do).
        const prefix = err instanceof Error ? err.message.split(' ')[0] : '';
        if (prefix === 'INPROG') break;
        if (prefix !== 'NOGOODSLAVE' || Date.now() > deadline) throw err;
        await sleep(500);
      }
    }
    return this.waitForNewMaster(old, Math.max(1000, deadline - Date.now()));
  }

  async killMaster(): Promise<RedisAddress> {
    const old = await this.currentMaster();
    const node = this.nodes.find((n) => sameAddress(n, old));
    if (node === undefined) throw new Error(`the master ${old.host}:${old.port} is not a node of this group`);
    await node.kill('SIGKILL');
    return old;
  }

  waitForNewMaster(old: RedisAddress, timeoutMs = this.timeoutMs): Promise<RedisAddress> {
    let last = '';
    return waitFor(
      `a master other than ${old.host}:${old.port}`,
      async () => {
        const answers = await this.#masterAnswers();
        last = JSON.stringify(answers);
        const first = answers[0];
        if (first === undefined || answers.length < this.#runningSentinels().length) return undefined;
        if (sameAddress(first, old) || !answers.every((a) => sameAddress(a, first))) return undefined;
        const role = await withRedis({ ...first, password: this.nodePassword }, (c) => c.call('ROLE'));
        return Array.isArray(role) && role[0] === 'master' ? first : undefined;
      },
      { timeoutMs, intervalMs: 200, describe: () => `sentinels report ${last}` },
    );
  }

  close(): Promise<void> {
    this.#closing ??= this.closeAll();
    return this.#closing;
  }

  #runningSentinels(): RedisServerHandle[] {
    return this.sentinelServers.filter((s) => s.pid !== undefined);
  }

  async #masterAnswers(): Promise<RedisAddress[]> {
    const replies = await Promise.allSettled(
      this.#runningSentinels().map((s) => sentinelCall(s, ['GET-MASTER-ADDR-BY-NAME', this.masterName])),
    );
    return replies.flatMap((r) => (r.status === 'fulfilled' && Array.isArray(r.value) ? [toAddress(r.value)] : []));
  }
}

interface SentinelView {
  master: RedisAddress | undefined;
  goodReplicas: number;
  goodPeers: number;
}

async function sentinelView(sentinel: RedisTarget, masterName: string): Promise<SentinelView> {
  return withRedis(sentinel, async (c) => {
    const addr = await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName);
    const replicas = (await c.call('SENTINEL', 'REPLICAS', masterName)) as unknown[];
    const peers = (await c.call('SENTINEL', 'SENTINELS', masterName)) as unknown[];
    const good = (entry: unknown): boolean => {
      const flags = (fieldsToRecord(entry)['flags'] ?? '').split(',');
      return !flags.some((f) => f === 's_down' || f === 'o_down' || f === 'disconnected');
    };
    return {
      master: Array.isArray(addr) ? toAddress(addr) : undefined,
      goodReplicas: replicas.filter((r) => good(r) && fieldsToRecord(r)['master-link-status'] === 'ok').length,
      goodPeers: peers.filter(good).length,
    };
  });
}

/** Resolves true once the master's INFO lists `count` replicas in state online. */
async function onlineReplicas(master: RedisTarget, count: number): Promise<true | undefined> {
  const info = await withRedis(master, (c) => c.info('replication'));
  const online = info.split('\n').filter((l) => /^slave\d+:.*state=online/.test(l)).length;
  return online >= count ? true : undefined;
}

function sentinelCall(sentinel: RedisTarget, args: string[]): Promise<unknown> {
  return withRedis(sentinel, (c) => c.call('SENTINEL', ...args));
}

function toAddress(reply: unknown[]): RedisAddress {
  return { host: String(reply[0]), port: Number(reply[1]) };
}

function sameAddress(a: RedisAddress | undefined, b: RedisAddress): boolean {
  return a !== undefined && a.host === b.host && a.port === b.port;
}
