import { seqOfEntryId } from '@recio/contract';
import { startRedisServer, type RedisServerHandle } from '@recio/topology';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamKey } from './channels.js';
import { Relay } from './relay.js';
import type { EventRouter } from './router.js';
import { insertEvents } from './sql/insert-events.js';
import {
  FreezingProxy,
  REDIS_URL,
  createTestDatabase,
  startPrivateRedis,
  uniqueName,
  type TestDatabase,
} from '@recio/test-support';
import { testRouter } from '../test/support/routers.js';
import { exited, runCli, startCli } from '../test/support/cli.js';

let db: TestDatabase;
let pool: pg.Pool;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await pool.end();
  await db.drop();
});

function track<T extends { close(): Promise<unknown> }>(thing: T): T {
  closers.push(() => thing.close());
  return thing;
}

async function streamSeqs(redis: Redis, channel: string): Promise<number[]> {
  return (await redis.xrange(streamKey(channel), '-', '+')).map(([id]) => seqOfEntryId(id));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A sample of one of the router's metrics: `sample(router, 'recio_relay_sweeps_total', 'kind="full"')`. */
async function sample(router: EventRouter, metric: string, labels = ''): Promise<number> {
  const text = await router.registry.getSingleMetricAsString(metric);
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${metric}{${labels}} ` : `${metric} `));
  return Number(line?.split(' ').at(-1) ?? 0);
}

/** A Redis and a database of the test's own, a router on both, a client and a pool to look into them. */
async function ownWorld() {
  const server = track(await startPrivateRedis());
  const own = await createTestDatabase({ redisUrl: null });
  closers.push(() => own.drop());
  const router = track(await testRouter(own.url, { redis: { url: server.url } }));
  const redis = new Redis(server.url);
  closers.push(async () => redis.disconnect());
  const ownPool = new pg.Pool({ connectionString: own.url, max: 2 });
  closers.push(() => ownPool.end());
  return { server, own, router, redis, ownPool };
}

describe('relay', () => {
  it('repairs a publisher killed with SIGKILL between COMMIT and XADD', async () => {
    const channel = `trades:${uniqueName()}`;
    const router = track(await testRouter(db.url));
    await router.publish(channel, 'trade.opened', { n: 1 });

    // The publisher process talks to Redis through a proxy that swallows the append script.
    const proxy = track(await FreezingProxy.start({ host: '127.0.0.1', port: 6379 }, streamKey(channel)));
    const child = startCli(['publish', '--channel', channel, '--type', 'trade.opened', '--data', '{"n":2}'], {
      DATABASE_URL: db.url,
      REDIS_URL: proxy.url,
      REDIS_COMMAND_TIMEOUT_MS: '600000',
    });
    // Committed, append in flight and unanswered (or the child failed: show why).
    await Promise.race([
      proxy.frozen,
      exited(child).then((run) => Promise.reject(new Error(`publisher exited: ${run.stderr}`))),
    ]);
    const { rows } = await pool.query('SELECT seq::int FROM event_log WHERE channel = $1 ORDER BY seq', [channel]);
    expect(rows.map((r) => r.seq)).toEqual([1, 2]);
    child.kill('SIGKILL');
    expect((await exited(child)).signal).toBe('SIGKILL');

    const redis = new Redis(REDIS_URL);
    closers.push(async () => redis.disconnect());
    expect(await streamSeqs(redis, channel)).toEqual([1]);
    const before = await runCli(['check'], { DATABASE_URL: db.url, REDIS_URL });
    expect(before.code).toBe(1);
    expect(before.stdout).toContain(`"channel":"${channel}"`);

    const relay = track(new Relay(router, { databaseUrl: db.url }));
    relay.start();
    await expect.poll(() => streamSeqs(redis, channel), { timeout: 10_000 }).toEqual([1, 2]);
    const after = await runCli(['check'], { DATABASE_URL: db.url, REDIS_URL });
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout.trim().split('\n').at(-1)!)).toMatchObject({ behind: 0, ok: true });
    await relay.close();
  });

  it('fills an out-of-order gap from event_log on the publisher fast path', async () => {
    const channel = `positions:${uniqueName()}`;
    const router = track(await testRouter(db.url));
    // Two commits whose publishers never appended (crashed, or simply slower than the next).
    await insertEvents(
      pool,
      [
        { event_id: crypto.randomUUID(), channel, type: 'p', dataText: '{"n":1}' },
        { event_id: crypto.randomUUID(), channel, type: 'p', dataText: '{"n":2}' },
      ],
      'test',
    );
    const third = await router.publish(channel, 'p', { n: 3 });
    expect(third.seq).toBe(3);
    const redis = new Redis(REDIS_URL);
    closers.push(async () => redis.disconnect());
    const entries = await redis.xrange(streamKey(channel), '-', '+');
    expect(entries.map(([id, f]) => [id, JSON.parse(f[9]!).n])).toEqual([
      ['1-0', 1],
      ['2-0', 2],
      ['3-0', 3],
    ]);
    const outcomes = await router.registry.getSingleMetricAsString('recio_append_outcomes_total');
    expect(outcomes).toMatch(/class="positions",path="publisher",outcome="gap"} 1/);
  });

  describe('with a private Redis', () => {
    let server: RedisServerHandle;
    let router: EventRouter;
    let redis: Redis;

    beforeAll(async () => {
      server = track(await startRedisServer({ config: { appendonly: false, save: [] } }));
      router = track(
        await testRouter(db.url, {
          redis: { url: server.url },
          channelClasses: { trades: { maxLen: 50, retentionDays: null }, prices: { maxLen: 100, retentionDays: 30 } },
        }),
      );
      redis = new Redis(server.url, { maxRetriesPerRequest: null });
      redis.on('error', () => undefined);
      closers.push(async () => redis.disconnect());
    });

    it('never fails a commit while Redis is down, and catches up when it is back', async () => {
      const channel = `prices:${uniqueName()}`;
      const relay = track(new Relay(router, { databaseUrl: db.url, sweepIntervalMs: 100 }));
      relay.start();
      await relay.waitUntilLeader(10_000);
      let published = 0;
      for (let i = 0; i < 30; i++) published = (await router.publish(channel, 'tick', { i })).seq;
      await server.stop(); // data is gone with it: no AOF, no RDB
      for (let i = 30; i < 80; i++) published = (await router.publish(channel, 'tick', { i })).seq;
      expect(published).toBe(80);
      await server.restart();
      // Only the tail the stream would hold anyway (maxLen 100 ≥ 80: everything) comes back, in order.
      await expect.poll(() => streamSeqs(redis, channel), { timeout: 15_000 }).toEqual(range(1, 80));
      const entries = await redis.xrange(streamKey(channel), '-', '+');
      expect(entries.map(([, f]) => JSON.parse(f[9]!).i)).toEqual(range(0, 79));
      await relay.close();
    });

    it('re-seeds only the tail after Redis lost its data, and replay still returns everything', async () => {
      const channel = `trades:${uniqueName()}`;
      const relay = track(new Relay(router, { databaseUrl: db.url, sweepIntervalMs: 100 }));
      relay.start();
      await relay.waitUntilLeader(10_000);
      const events = await router.publishMany(range(1, 200).map((n) => ({ channel, type: 't', data: { n } })));
      const fromRedis = await router.replay(channel, { sinceSeq: 1, limit: 500 });
      expect(fromRedis.events).toEqual(events);

      await redis.flushall();
      // The relay notices the loss (its marker is gone) and re-seeds the last maxLen (50) events.
      await expect.poll(() => streamSeqs(redis, channel), { timeout: 15_000 }).toEqual(range(151, 200));
      const afterLoss = await router.replay(channel, { sinceSeq: 1, limit: 500 });
      expect(afterLoss.events).toEqual(events);
      // Publishing continues after the re-seeded tail.
      expect((await router.publish(channel, 't', { n: 201 })).seq).toBe(201);
      expect((await streamSeqs(redis, channel)).at(-1)).toBe(201);
      await relay.close();
    });
  });

  it('hands leadership over within seconds when the leader is killed with SIGKILL', async () => {
    const channel = `account:${uniqueName()}`;
    const env = { DATABASE_URL: db.url, REDIS_URL, LOG_LEVEL: 'info' };
    const first = startCli(['relay', '--sweep-ms', '100'], env);
    closers.push(async () => first.kill('SIGKILL'));
    await expect.poll(() => first.output.stderr, { timeout: 10_000 }).toContain('relay: leader');
    const second = startCli(['relay', '--sweep-ms', '100'], env);
    closers.push(async () => second.kill('SIGKILL'));
    await expect.poll(() => second.output.stderr, { timeout: 10_000 }).toContain('relay started');
    expect(second.output.stderr).not.toContain('relay: leader');

    first.kill('SIGKILL');
    await exited(first);
    // Commits whose publisher never appended: only a live relay can propagate them.
    await insertEvents(
      pool,
      range(1, 5).map((n) => ({ event_id: crypto.randomUUID(), channel, type: 'a', dataText: JSON.stringify({ n }) })),
      'test',
    );
    const redis = new Redis(REDIS_URL);
    closers.push(async () => redis.disconnect());
    await expect.poll(() => streamSeqs(redis, channel), { timeout: 15_000 }).toEqual(range(1, 5));
    expect(second.output.stderr).toContain('relay: leader');

    second.kill('SIGTERM');
    expect((await exited(second)).code).toBe(0);
  });

  it('stops sweeping once its lock stops answering (a leader cut off by the network), and another relay takes the lead', async () => {
    const { own, router, redis, ownPool } = await ownWorld();
    // A channel this relay cannot converge (a string where its stream belongs): counted unpropagated.
    const refused = `trades:${uniqueName()}`;
    await insertEvents(
      ownPool,
      [{ event_id: crypto.randomUUID(), channel: refused, type: 't', dataText: '{}' }],
      'test',
    );
    await redis.set(streamKey(refused), 'not a stream');
    const unpropagated = () => sample(router, 'recio_unpropagated_events', 'class="trades"');
    // The lock's connection goes through a proxy that can stop forwarding (a partition); the
    // router's pool does not.
    const { proxy, url: viaProxy } = await FreezingProxy.inFrontOf(own.url);
    closers.push(() => proxy.close());
    const options = { sweepIntervalMs: 100, leaderPollMs: 100, deadHolderSeconds: 2 };
    const cutOff = track(new Relay(router, { ...options, databaseUrl: viaProxy }));
    cutOff.start();
    await cutOff.waitUntilLeader(10_000);
    expect(await sample(router, 'recio_relay_leader')).toBe(1);
    const incremental = () => sample(router, 'recio_relay_sweeps_total', 'kind="incremental"');
    const before = await incremental();
    await expect.poll(incremental, { timeout: 10_000 }).toBeGreaterThan(before);
    expect(await unpropagated()).toBe(1);

    proxy.freeze();
    // Its next check of the lock does not answer within a second: it stops leading, and sweeping.
    await expect.poll(() => cutOff.isLeader, { timeout: 10_000 }).toBe(false);
    expect(await sample(router, 'recio_relay_leader')).toBe(0);
    // What it saw is the next leader's to say: its gauge no longer keeps an alert firing.
    expect(await unpropagated()).toBe(0);
    const stopped = await incremental();
    await new Promise((r) => setTimeout(r, 1_000)); // ten sweep intervals
    expect(await incremental()).toBe(stopped);
    // Its attempts to lead again cannot connect through the partition: each gives up after half of
    // deadHolderSeconds, so close returns (without that limit it took 59 s here).
    const closed = cutOff.close().then(() => 'closed');
    const hung = new Promise((r) => setTimeout(() => r('still closing after 8 s'), 8_000));
    expect(await Promise.race([closed, hung])).toBe('closed');

    // Once the server lets the cut-off session go (here: its connection closed), another leads.
    await proxy.close();
    const other = track(new Relay(router, { ...options, databaseUrl: own.url }));
    other.start();
    await other.waitUntilLeader(10_000);
    expect(await sample(router, 'recio_relay_leader')).toBe(1);
    await expect.poll(unpropagated, { timeout: 10_000 }).toBe(1);
    await other.close();
  });

  it('never lets a forged high entry silence a channel (regression: an XADD of 999999999-0 made every append a duplicate, and consumers applied it and skipped past every real event)', async () => {
    // system:health (the repair's notice) is a fixed name: a Redis and a database of the test's own.
    const { server, own, router, redis, ownPool } = await ownWorld();
    const channel = `trades:${uniqueName()}`;
    const group = uniqueName('g');
    const applied: number[] = [];
    await router.publishMany(range(1, 3).map((n) => ({ channel, type: 't', data: { n } })));
    track(
      await router.consume({
        group,
        consumer: 'm1',
        channels: [channel],
        sweepIntervalMs: 200,
        handler: async (event) => {
          applied.push(event.seq);
        },
      }),
    );
    await expect.poll(() => applied, { timeout: 10_000 }).toEqual([1, 2, 3]);

    // A client with write access to the stream appends a far higher id than the router ever would.
    const forged = ['event_id', crypto.randomUUID(), 'type', 't', 'source', 'x', 'ts', String(Date.now())];
    await redis.xadd(streamKey(channel), '999999999-0', ...forged, 'data', '{"forged":true}');
    // Real events commit; their appends are refused as duplicates of the forged tail.
    await router.publishMany(range(4, 5).map((n) => ({ channel, type: 't', data: { n } })));
    expect(await streamSeqs(redis, channel)).toEqual([1, 2, 3, 999_999_999]);
    const env = { DATABASE_URL: own.url, REDIS_URL: server.url };
    const found = await runCli(['check'], env);
    expect(found.code).toBe(1);
    expect(JSON.parse(found.stdout.split('\n')[0]!)).toEqual({
      channel,
      head: 5,
      redis: 999_999_999,
      ahead: 999_999_994,
    });

    // The member reads the forged entry and never applies it; it applies 4 and 5, which Redis
    // does not have, from PostgreSQL once its sweep finds the channel stalled.
    const appliedSeq = async () =>
      Number(
        (
          await ownPool.query('SELECT applied_seq FROM consumer_offset WHERE group_name = $1 AND channel = $2', [
            group,
            channel,
          ])
        ).rows[0].applied_seq,
      );
    await expect.poll(() => applied, { timeout: 20_000 }).toEqual(range(1, 5));
    expect(await appliedSeq()).toBe(5);
    const groupInfo = async () => {
      const groups = (await redis.call('XINFO', 'GROUPS', streamKey(channel))) as (string | number)[][];
      const info = groups.map((g) => Object.fromEntries(g.flatMap((v, i) => (i % 2 ? [] : [[v, g[i + 1]]]))));
      return info.find((g) => g.name === group) as { 'last-delivered-id': string; pending: number };
    };
    expect(await groupInfo()).toMatchObject({ 'last-delivered-id': '999999999-0', pending: 0 });

    // The relay removes what PostgreSQL never committed, moves the group back, appends what is missing.
    const relay = track(new Relay(router, { databaseUrl: own.url }));
    expect(await relay.fullSweep()).toMatchObject({ ahead: 1, appended: 2 });
    expect(await streamSeqs(redis, channel)).toEqual(range(1, 5));
    expect((await groupInfo())['last-delivered-id']).not.toBe('999999999-0');
    const notices = await ownPool.query(
      `SELECT data FROM event_log WHERE channel = 'system:health' AND type = 'stream.repaired'`,
    );
    expect(notices.rows.map((r) => r.data)).toEqual([{ channel, head: 5, removed: 1, groupsReset: 1 }]);
    expect((await runCli(['check'], env)).code).toBe(0);
    // The channel is live again: the next event is appended and applied at once.
    await router.publish(channel, 't', { n: 6 });
    expect(await streamSeqs(redis, channel)).toEqual(range(1, 6));
    await expect.poll(() => applied, { timeout: 10_000 }).toEqual(range(1, 6));
    expect((await runCli(['check'], env)).code).toBe(0);
  });
  it('converges every other channel when Redis refuses one, and tries that one again on every sweep (regression: one key that was not a stream failed every full sweep, and every channel after it stayed behind)', async () => {
    // A full sweep sees every channel of its database: a Redis and a database of the test's own.
    const { server, own, router, redis, ownPool } = await ownWorld();
    // Names in page order: the refused channels come first, the healthy ones after them.
    const name = uniqueName();
    const [notStream, raised, good1, good2] = ['a', 'b', 'c', 'd'].map((p) => `trades:${p}-${name}`) as [
      string,
      string,
      string,
      string,
    ];
    // Committed, never appended (their publishers died before the append).
    const commit = (channel: string, n: number) =>
      insertEvents(
        ownPool,
        range(1, n).map((i) => ({ event_id: crypto.randomUUID(), channel, type: 't', dataText: `{"i":${i}}` })),
        'test',
      );
    await commit(notStream, 2);
    await commit(raised, 3);
    await commit(good1, 4);
    await commit(good2, 5);
    // Someone else's writing: a string where the stream belongs (WRONGTYPE on every read), and a
    // stream emptied with its last id raised (every append refused: an id at or below the top).
    await redis.set(streamKey(notStream), 'not a stream');
    await redis.xadd(streamKey(raised), '1-0', 'x', '1');
    await redis.xdel(streamKey(raised), '1-0');
    await redis.xsetid(streamKey(raised), '999-0');

    const unpropagated = () => sample(router, 'recio_unpropagated_events', 'class="trades"');
    // Pages of two: the refused channels fill the first.
    const relay = track(
      new Relay(router, { databaseUrl: own.url, pageSize: 2, sweepIntervalMs: 100, overlapMs: 1, graceMs: 1 }),
    );
    expect(await relay.fullSweep()).toMatchObject({ channels: 4, failed: 2, appended: 9 });
    expect(await streamSeqs(redis, good1)).toEqual(range(1, 4));
    expect(await streamSeqs(redis, good2)).toEqual(range(1, 5));
    expect(await unpropagated()).toBe(5); // 2 + 3, none of them readable from Redis

    const env = { DATABASE_URL: own.url, REDIS_URL: server.url };
    const found = await runCli(['check'], env);
    expect(found.code).toBe(1);
    const lines = found.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ channel: notStream, head: 2, error: 'WRONGTYPE' });
    expect(lines[1]).toEqual({ channel: raised, head: 3, redis: 0, behind: 3 });
    expect(lines.at(-1)).toMatchObject({ channels: 4, behind: 1, ahead: 0, unread: 1, ok: false });
    // --repair: the refused append is said on its channel's line, and the check goes on to its summary.
    const repairing = await runCli(['check', '--repair'], env);
    expect(repairing.code).toBe(1);
    const repairLines = repairing.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(repairLines[1]).toEqual({
      channel: raised,
      head: 3,
      redis: 0,
      behind: 3,
      repaired: { error: 'ERR', message: expect.stringContaining('equal or smaller than the target stream top item') },
    });
    expect(repairLines.at(-1)).toMatchObject({ channels: 4, behind: 1, unread: 1, ok: false, repaired: true });

    // The loop: a full sweep first, then only incremental ones (the next full one is an hour away),
    // whose window no longer holds these channels. The refused ones are tried again all the same, one
    // a sweep here (concurrency 1), the one tried longest ago first.
    const loop = track(
      new Relay(router, {
        databaseUrl: own.url,
        concurrency: 1,
        sweepIntervalMs: 100,
        overlapMs: 1,
        graceMs: 1,
        fullSweepIntervalMs: 3_600_000,
      }),
    );
    const sweeps = (kind: string) => sample(router, 'recio_relay_sweeps_total', `kind="${kind}"`);
    const fullBefore = await sweeps('full');
    loop.start();
    await expect.poll(() => sweeps('full'), { timeout: 10_000 }).toBeGreaterThan(fullBefore);
    const full = await sweeps('full');
    const incremental = await sweeps('incremental');
    await expect.poll(() => sweeps('incremental'), { timeout: 10_000 }).toBeGreaterThan(incremental + 2);
    expect(await unpropagated()).toBe(5);

    // Mended by hand, the second first: it gets its turn though the first (refused first) still fails.
    await redis.del(streamKey(raised));
    await expect.poll(() => streamSeqs(redis, raised), { timeout: 10_000 }).toEqual(range(1, 3));
    expect(await unpropagated()).toBe(2);
    await redis.del(streamKey(notStream));
    await expect.poll(() => streamSeqs(redis, notStream), { timeout: 10_000 }).toEqual(range(1, 2));
    await expect.poll(unpropagated, { timeout: 10_000 }).toBe(0);
    expect(await sweeps('full')).toBe(full);
    const after = await runCli(['check'], env);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout.trim())).toMatchObject({ channels: 4, behind: 0, unread: 0, ok: true });
  });
});
