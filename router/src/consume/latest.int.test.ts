import { startRedisServer, type RedisServerHandle } from '@recio/topology';
import { createTestDatabase, uniqueName, until, type TestDatabase } from '@recio/test-support';
import { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamKey } from '../channels.js';
import type { RecioEvent } from '../event.js';
import { Relay } from '../relay.js';
import type { EventRouter } from '../router.js';
import { testRouter } from '../../test/support/routers.js';
import type { Consumer } from './consumer.js';
import type { ConsumeOptions } from './consumer-options.js';

// Latest-value classes (prices, markets; ARCHITECTURE invariant 14): published to Redis only, with
// the datum's version as seq, delivered to each group at least once with no PostgreSQL offset.

let db: TestDatabase;
let router: EventRouter;
let redis: Redis;
let server: RedisServerHandle;
const consumers: Consumer[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startRedisServer({ config: { appendonly: false, save: [] } });
  router = await testRouter(db.url, { poolSize: 10, redis: { url: server.url } });
  redis = new Redis(server.url);
});

afterAll(async () => {
  for (const c of consumers) await c.close(1_000);
  await router.close();
  redis.disconnect();
  await server.close();
  await db.drop();
});

/** Statements the router's pool sent so far (queries and transaction control). */
async function statements(): Promise<number> {
  const metric = router.registry.getSingleMetric('recio_pg_statements_total') as Counter | undefined;
  const values = (await metric?.get())?.values ?? [];
  return values.reduce((n, v) => n + v.value, 0);
}

async function consume(options: ConsumeOptions): Promise<Consumer> {
  const c = await router.consume({ sweepIntervalMs: 200, claimIdleMs: 500, retryBaseMs: 10, ...options });
  consumers.push(c);
  return c;
}

const tick = (n: number) => ({ price: 100 + n });

describe('publishLatest', () => {
  it('appends with the version as seq, once per version, and costs PostgreSQL nothing', async () => {
    const channel = `prices:${uniqueName()}`;
    const before = await statements();
    const first = await router.publishLatest(channel, 'price.tick', tick(1), 1_000);
    const again = await router.publishLatest(channel, 'price.tick', tick(1), 1_000);
    const older = await router.publishLatest(channel, 'price.tick', tick(0), 999);
    const next = await router.publishLatest(channel, 'price.tick', tick(2), 2_500);
    expect([first.appended, again.appended, older.appended, next.appended]).toEqual([true, false, false, true]);
    expect(first.event).toMatchObject({ channel, seq: 1_000, type: 'price.tick', source: 'test', data: tick(1) });
    expect((await redis.xrange(streamKey(channel), '-', '+')).map(([id]) => id)).toEqual(['1000-0', '2500-0']);
    expect(await statements()).toBe(before);
    const page = await router.replay(channel, { sinceSeq: 1, limit: 10 });
    expect(page).toMatchObject({ head: 2_500, next: 2_501, hasMore: false });
    expect(page.events.map((e) => [e.seq, e.data])).toEqual([
      [1_000, tick(1)],
      [2_500, tick(2)],
    ]);
    expect((await router.replay(channel, { sinceSeq: 1_001, limit: 1 })).events.map((e) => e.seq)).toEqual([2_500]);
  });

  it('replays a recent time from the newest entries back, not the whole stream (regression: every chart load read all of it)', async () => {
    const channel = `prices:${uniqueName()}`;
    for (let v = 1; v <= 2_500; v++) await router.publishLatest(channel, 'price.tick', tick(v), v);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cut = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (let v = 2_501; v <= 2_505; v++) await router.publishLatest(channel, 'price.tick', tick(v), v);
    const reads = async () => {
      const stats = (await redis.info('commandstats')).split('\r\n');
      const calls = (cmd: string) =>
        Number(/calls=(\d+)/.exec(stats.find((l) => l.startsWith(`cmdstat_${cmd}:`)) ?? '')?.[1] ?? 0);
      return { xrange: calls('xrange'), xrevrange: calls('xrevrange') };
    };
    await redis.config('RESETSTAT');
    const page = await router.replay(channel, { sinceTime: cut, limit: 1_000 });
    // The head, then one page back from the newest: never a read forwards from the first entry.
    expect(await reads()).toEqual({ xrange: 0, xrevrange: 2 });
    expect(page.events.map((e) => e.seq)).toEqual([2_501, 2_502, 2_503, 2_504, 2_505]);
    expect(page).toMatchObject({ head: 2_505, next: 2_506, hasMore: false });
    // A limit smaller than what is newer: the first ones after the time, and the rest to page on.
    const first = await router.replay(channel, { sinceTime: cut, limit: 2 });
    expect(first.events.map((e) => e.seq)).toEqual([2_501, 2_502]);
    expect(first).toMatchObject({ next: 2_503, hasMore: true });
    // Older than everything: the whole stream from its first entry; newer than everything: nothing.
    expect((await router.replay(channel, { sinceTime: new Date(0), limit: 3 })).events.map((e) => e.seq)).toEqual([
      1, 2, 3,
    ]);
    expect((await router.replay(channel, { sinceTime: new Date(Date.now() + 60_000) })).events).toEqual([]);
  });

  it('refuses the wrong path for a class, and a version that is not a positive integer', async () => {
    const prices = `prices:${uniqueName()}`;
    await expect(router.publishLatest(`trades:${uniqueName()}`, 't', {}, 1)).rejects.toMatchObject({
      code: 'DELIVERY_MISMATCH',
    });
    await expect(router.publish(prices, 'price.tick', tick(1))).rejects.toMatchObject({ code: 'DELIVERY_MISMATCH' });
    await expect(
      router.transaction(async (tx) => {
        tx.publish(prices, 'price.tick', tick(1));
      }),
    ).rejects.toMatchObject({ code: 'DELIVERY_MISMATCH' });
    for (const bad of [0, -5, 1.5, Number.NaN])
      await expect(router.publishLatest(prices, 'price.tick', tick(1), bad)).rejects.toMatchObject({
        code: 'INVALID_EVENT',
      });
    expect(await redis.exists(streamKey(prices))).toBe(0);
  });
});

describe('consuming a latest-value channel', () => {
  it('delivers every value in order with no offset, a handler that sends nothing costing nothing', async () => {
    const group = uniqueName('g');
    const channel = `prices:${uniqueName()}`;
    await router.publishLatest(channel, 'price.tick', tick(0), 10); // before the group: the newest is delivered
    const seen: number[] = [];
    // (The safety-net sweep is a PostgreSQL query of its own: kept out of the measured window.)
    await consume({
      group,
      consumer: 'svc-a',
      channels: [channel],
      sweepIntervalMs: 600_000,
      handler: async (e) => void seen.push(e.seq),
    });
    await until('the value published before the group', () => seen.length === 1);
    const before = await statements();
    for (let v = 11; v <= 30; v++) await router.publishLatest(channel, 'price.tick', tick(v), v);
    await until('every value', () => seen.at(-1) === 30);
    expect(seen).toEqual(Array.from({ length: 21 }, (_, i) => 10 + i));
    expect(await statements()).toBe(before);
    const offsets = await router.pool.query('SELECT 1 FROM consumer_offset WHERE group_name = $1', [group]);
    expect(offsets.rowCount).toBe(0);
    await until('acked', async () => Number(((await redis.xpending(streamKey(channel), group)) as [number])[0]) === 0);
  });

  it("runs a handler's statements in one transaction per run, committed with what it publishes", async () => {
    const group = uniqueName('g');
    const channel = `prices:${uniqueName()}`;
    const trades = `trades:${uniqueName()}`;
    await router.pool.query('CREATE TABLE IF NOT EXISTS latest_effect (seq bigint PRIMARY KEY)');
    await consume({
      group,
      consumer: 'svc-a',
      channels: [channel],
      handler: async (e, { tx }) => {
        // Idempotent effects: a value delivered twice inserts nothing twice.
        const { rowCount } = await tx.query('INSERT INTO latest_effect VALUES ($1) ON CONFLICT DO NOTHING', [e.seq]);
        if (rowCount === 1) tx.publish(trades, 'seen', { seq: e.seq });
      },
    });
    for (let v = 1; v <= 5; v++) await router.publishLatest(channel, 'price.tick', tick(v), 100 + v);
    await until('effects', async () => (await router.replay(trades, { sinceSeq: 1, limit: 10 })).events.length === 5);
    const page = await router.replay(trades, { sinceSeq: 1, limit: 10 });
    expect(page.events.map((e) => (e.data as { seq: number }).seq)).toEqual([101, 102, 103, 104, 105]);
  });

  it('hands what a stopped member held to it again when it comes back, and to another when it does not', async () => {
    const group = uniqueName('g');
    const channel = `prices:${uniqueName()}`;
    let block = true;
    const got: [string, number, number][] = [];
    const handler = (name: string) => async (e: RecioEvent, ctx: { signal: AbortSignal; deliveries: number }) => {
      got.push([name, e.seq, ctx.deliveries]);
      if (block && name === 'svc-a') await new Promise((r) => ctx.signal.addEventListener('abort', r));
      if (block && name === 'svc-a') throw new Error('stopped');
    };
    const a = await consume({ group, consumer: 'svc-a', channels: [channel], handler: handler('svc-a') });
    await router.publishLatest(channel, 'price.tick', tick(1), 7);
    await until('svc-a took the value', () => got.length === 1);
    await a.close(50); // it never finished: the entry stays pending for svc-a
    expect(Number(((await redis.xpending(streamKey(channel), group)) as [number])[0])).toBe(1);

    block = false;
    await consume({ group, consumer: 'svc-a', channels: [channel], handler: handler('svc-a') });
    await until('svc-a read its own pending entry again', () => got.length === 2);
    expect(got[1]).toEqual(['svc-a', 7, 2]);

    // Now svc-a takes a value and dies for good; svc-b claims it once it is idle past claimIdleMs.
    block = true;
    const again = consumers.at(-1)!;
    const takeover = new Promise<void>((resolve) => {
      void (async () => {
        await until('svc-a took the next value', () => got.length === 3);
        await again.close(50);
        resolve();
      })();
    });
    await router.publishLatest(channel, 'price.tick', tick(2), 8);
    await takeover;
    await consume({ group, consumer: 'svc-b', channels: [channel], handler: handler('svc-b') });
    await until('svc-b claimed the value', () => got.some(([name, seq]) => name === 'svc-b' && seq === 8), {
      timeoutMs: 15_000,
    });
  });
});

describe('the relay and latest-value streams', () => {
  it('leaves a latest-value stream alone even beside an old PostgreSQL head', async () => {
    const channel = `prices:${uniqueName()}`;
    await router.publishLatest(channel, 'price.tick', tick(1), 5_000);
    // A head from before the class became latest-value (the migration deletes them; this one stays).
    await router.pool.query('INSERT INTO channel_head (channel, last_seq) VALUES ($1, 3)', [channel]);
    const relay = new Relay(router, { databaseUrl: db.url });
    try {
      await relay.fullSweep();
    } finally {
      await relay.close();
    }
    expect((await redis.xrange(streamKey(channel), '-', '+')).map(([id]) => id)).toEqual(['5000-0']);
  });
});
