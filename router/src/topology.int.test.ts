import { CHANNEL_CLASSES } from '@recio/contract';
import { startRedisCluster, startSentinelGroup, type RedisCluster, type SentinelGroup } from '@recio/topology';
import type { Cluster } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamKey } from './channels.js';
import { Relay } from './relay.js';
import type { EventRouter } from './router.js';
import { pgAndRedis, streamMatchesHistory } from '../test/support/consistency.js';
import { createTestDatabase, uniqueName, until, type TestDatabase } from '@recio/test-support';
import { testRouter } from '../test/support/routers.js';

// The publish path on the other two Redis topologies (invariant 12): the same router code
// through Sentinel, with the master killed mid-publish, and on a 3-master Cluster.

// Each topology gets its own database: a relay compares every channel of its database.
let db: TestDatabase;
let pool: pg.Pool;

async function openDatabase(): Promise<void> {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
}

async function closeDatabase(): Promise<void> {
  await pool?.end();
  await db?.drop();
}

/**
 * Publishes on `channels` from `workers` loops, each publish after the previous one returned,
 * until `stop` says so; `tally` counts successes and failures as they happen.
 */
function publishUntil(
  router: EventRouter,
  channels: string[],
  stop: { done: boolean },
  workers = 4,
): { tally: { ok: number; failed: number }; done: Promise<{ ok: number; failed: number }> } {
  const tally = { ok: 0, failed: 0 };
  const done = Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; !stop.done; i++) {
        try {
          await router.publish(channels[(w + i) % channels.length]!, 'tick', { w, i });
          tally.ok++;
        } catch {
          tally.failed++;
        }
      }
    }),
  ).then(() => tally);
  return { tally, done };
}

describe('through Sentinel', () => {
  let group: SentinelGroup;
  let router: EventRouter;
  let relay: Relay;

  beforeAll(async () => {
    await openDatabase();
    group = await startSentinelGroup({ replicas: 1, sentinels: 3, downAfterMs: 1_000 });
    router = await testRouter(db.url, { redis: { sentinels: group.sentinels, name: group.masterName } });
    relay = new Relay(router, { databaseUrl: db.url, sweepIntervalMs: 100 });
    relay.start();
    await router.waitUntilReady({ redisTimeoutMs: 10_000 });
    await relay.waitUntilLeader(10_000);
  });

  afterAll(async () => {
    await relay?.close();
    await router?.close();
    await group?.close();
    await closeDatabase();
  });

  it('loses no event and fails no commit when the master is killed mid-publish', async () => {
    const channels = Array.from({ length: 10 }, (_, i) => `trades:${uniqueName()}_${i}`);
    const stop = { done: false };
    const publishing = publishUntil(router, channels, stop);
    const appendedByPublisher = async () =>
      (await router.metrics.appendOutcomes.get()).values
        .filter((v) => v.labels.path === 'publisher' && v.labels.outcome === 'appended')
        .reduce((n, v) => n + v.value, 0);
    await until('publishes appended to the first master', async () => (await appendedByPublisher()) >= 20);
    const old = await group.killMaster();
    const atKill = { ok: publishing.tally.ok, appended: await appendedByPublisher() };
    const promoted = await group.waitForNewMaster(old, 30_000);
    expect(promoted).not.toEqual(old);
    const atPromotion = publishing.tally.ok;
    // Keep publishing on the new master: the publishers' own appends reach it (the old one is dead).
    await until(
      'publishes appended to the new master',
      async () => (await appendedByPublisher()) >= atKill.appended + 20,
    );
    stop.done = true;
    const tally = await publishing.done;
    expect(tally.failed).toBe(0);
    expect(tally.ok).toBeGreaterThan(50);
    // Commits went on while there was no master at all.
    expect(atPromotion).toBeGreaterThan(atKill.ok);

    // The relay converges the new master to PostgreSQL: the stream ends with the newest events, in
    // order, once. A trades stream keeps about its last 1,000: when more were committed while there
    // was no master, the relay appends only that tail and older ones come from PostgreSQL (replay).
    const keep = CHANNEL_CLASSES.trades.maxLen;
    await expect
      .poll(
        async () => {
          const { pg: fromPg, redis } = await pgAndRedis(pool, router.redis, channels);
          return redis.every((ids, i) => streamMatchesHistory(fromPg[i]!, ids, keep));
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBe(true);
    const { pg: fromPg } = await pgAndRedis(pool, router.redis, channels);
    expect(fromPg.flat()).toHaveLength(tally.ok);
    for (const ids of fromPg) expect(ids.map((id) => Number(id.split(':')[0]))).toEqual(ids.map((_, k) => k + 1));
  });
});

describe('on Redis Cluster', () => {
  let cluster: RedisCluster;
  let router: EventRouter;
  let relay: Relay;

  beforeAll(async () => {
    await openDatabase();
    cluster = await startRedisCluster({ masters: 3 });
    router = await testRouter(db.url, { redis: { cluster: cluster.startupNodes } });
    relay = new Relay(router, { databaseUrl: db.url, sweepIntervalMs: 100 });
    await router.waitUntilReady({ redisTimeoutMs: 10_000 });
  });

  afterAll(async () => {
    await relay?.close();
    await router?.close();
    await cluster?.close();
    await closeDatabase();
  });

  it('publishes, converges and replays across slots on three masters', async () => {
    const channels = Array.from({ length: 200 }, (_, i) => `positions:${uniqueName()}_${i}`);
    await router.publishMany(
      channels.flatMap((channel) => [1, 2, 3].map((n) => ({ channel, type: 'p', data: { n } }))),
    );
    const stop = { done: false };
    const publishing = publishUntil(router, channels, stop);
    await until('as many concurrent publishes as channels', () => publishing.tally.ok >= channels.length);
    stop.done = true;
    expect((await publishing.done).failed).toBe(0);
    const first = await pgAndRedis(pool, router.redis, channels);
    expect(first.redis).toEqual(first.pg);

    // The streams really are spread over the three masters.
    const client = router.redis as Cluster;
    const masters = new Set<string>();
    for (const channel of channels) {
      const slot = Number(await client.call('CLUSTER', 'KEYSLOT', streamKey(channel)));
      masters.add(client.slots[slot]![0]!);
    }
    expect(masters.size).toBe(3);

    // A lost stream is re-seeded by the relay's full comparison, through the cluster client.
    await router.redis.del(streamKey(channels[7]!));
    await router.redis.del(streamKey(channels[150]!));
    const report = await relay.fullSweep();
    expect(report.behind).toBe(2);
    const repaired = await pgAndRedis(pool, router.redis, channels);
    expect(repaired.redis).toEqual(repaired.pg);
    const page = await router.replay(channels[7]!, { sinceSeq: 1 });
    expect(page.events.map((e) => e.seq)).toEqual(first.pg[7]!.map((_, k) => k + 1));
  });
});
