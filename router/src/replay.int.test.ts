import { seqOfEntryId } from '@recio/contract';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamKey } from './channels.js';
import { Relay } from './relay.js';
import type { EventRouter } from './router.js';
import { REDIS_URL, createTestDatabase, uniqueName, until, type TestDatabase } from '@recio/test-support';
import { testRouter } from '../test/support/routers.js';

let db: TestDatabase;
let router: EventRouter;
let redis: Redis;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  // A short trades stream, so a replay has to combine Redis and PostgreSQL.
  router = await testRouter(db.url, {
    channelClasses: { trades: { maxLen: 10, retentionDays: null }, prices: { maxLen: 1_000, retentionDays: 30 } },
  });
  redis = new Redis(REDIS_URL);
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});

afterAll(async () => {
  await router.close();
  redis.disconnect();
  await pool.end();
  await db.drop();
});

describe('replay', () => {
  it('returns the same events from Redis, from PostgreSQL, and from both', async () => {
    const channel = `prices:${uniqueName()}`;
    const published = await router.publishMany(
      Array.from({ length: 30 }, (_, i) => ({ channel, type: 'tick', data: { i, nested: { z: 1, a: [1, 2] } } })),
    );
    const fromRedis = await router.replay(channel, { sinceSeq: 1, limit: 100 });
    expect(fromRedis).toEqual({ events: published, next: 31, head: 30, hasMore: false });

    await redis.del(streamKey(channel));
    expect(await router.replay(channel, { sinceSeq: 1, limit: 100 })).toEqual(fromRedis);

    // Half in Redis, half not: the stream lost its tail (not yet propagated).
    await router.propagator.converge(channel, 15, 0);
    expect(await redis.xlen(streamKey(channel))).toBe(15);
    expect(await router.replay(channel, { sinceSeq: 1, limit: 100 })).toEqual(fromRedis);
  });

  it('reads from PostgreSQL past an entry the router did not write', async () => {
    const channel = `prices:${uniqueName()}`;
    const tick = (i: number) => ({ channel, type: 'tick', data: { i } });
    const published = await router.publishMany([tick(1), tick(2)]);
    // A client writing to the stream directly took seq 3's place (the router then skips it).
    await redis.xadd(streamKey(channel), '3-0', 'type', 'tick');
    published.push(...(await router.publishMany([tick(3), tick(4), tick(5)])));
    expect((await redis.xrange(streamKey(channel), '-', '+')).map(([id]) => id)).toEqual([
      '1-0',
      '2-0',
      '3-0',
      '4-0',
      '5-0',
    ]);
    expect((await router.replay(channel, { sinceSeq: 1, limit: 100 })).events).toEqual(published);
  });

  it('reads a trimmed range from PostgreSQL', async () => {
    const channel = `trades:${uniqueName()}`;
    const published = await router.publishMany(
      Array.from({ length: 300 }, (_, i) => ({ channel, type: 't', data: { i } })),
    );
    const firstInRedis = seqOfEntryId((await redis.xrange(streamKey(channel), '-', '+', 'COUNT', 1))[0]![0]);
    expect(firstInRedis).toBeGreaterThan(1); // MAXLEN ~ 10 trimmed the head of the stream
    const page = await router.replay(channel, { sinceSeq: 5, limit: 1_000 });
    expect(page.events).toEqual(published.slice(4));
  });

  it('pages through a channel with next and hasMore', async () => {
    const channel = `prices:${uniqueName()}`;
    const published = await router.publishMany(
      Array.from({ length: 20 }, (_, i) => ({ channel, type: 'tick', data: { i } })),
    );
    const seen = [];
    let sinceSeq = 1;
    for (;;) {
      const page = await router.replay(channel, { sinceSeq, limit: 7 });
      seen.push(...page.events);
      if (!page.hasMore) break;
      sinceSeq = page.next;
    }
    expect(seen).toEqual(published);
    expect(await router.replay(channel, { sinceSeq: 21 })).toEqual({ events: [], next: 21, head: 20, hasMore: false });
  });

  it('starts at a time', async () => {
    const channel = `prices:${uniqueName()}`;
    const early = await router.publishMany([1, 2, 3].map((i) => ({ channel, type: 'tick', data: { i } })));
    const cut = new Date(early.at(-1)!.ts + 5);
    // Events are stamped by PostgreSQL's clock (clock_timestamp()): the late ones must come after
    // the cut by that clock, so wait until it has passed the cut.
    await until('the database clock past the cut', async () => {
      const { rows } = await pool.query<{ past: boolean }>('SELECT clock_timestamp() > $1 AS past', [cut]);
      return rows[0]!.past;
    });
    const late = await router.publishMany([4, 5].map((i) => ({ channel, type: 'tick', data: { i } })));
    expect((await router.replay(channel, { sinceTime: cut })).events).toEqual(late);
    expect((await router.replay(channel, { sinceTime: new Date(0) })).events).toEqual([...early, ...late]);
    expect((await router.replay(channel, { sinceTime: new Date(Date.now() + 60_000) })).events).toEqual([]);
  });

  it('answers REPLAY_EXPIRED for a range that retention deleted', async () => {
    const channel = `prices:${uniqueName()}`;
    await router.publishMany(Array.from({ length: 20 }, (_, i) => ({ channel, type: 'tick', data: { i } })));
    await pool.query(`UPDATE event_log SET created_at = now() - interval '40 days' WHERE channel = $1 AND seq <= 10`, [
      channel,
    ]);
    const relay = new Relay(router, { databaseUrl: db.url });
    expect(await relay.enforceRetention()).toBeGreaterThanOrEqual(10);
    await relay.close();
    await redis.del(streamKey(channel)); // as if Redis had trimmed them too

    await expect(router.replay(channel, { sinceSeq: 1 })).rejects.toMatchObject({
      code: 'REPLAY_EXPIRED',
      earliestSeq: 11,
    });
    await expect(router.replay(channel, { sinceTime: new Date(Date.now() - 35 * 86_400_000) })).rejects.toMatchObject({
      code: 'REPLAY_EXPIRED',
    });
    const kept = await router.replay(channel, { sinceSeq: 11 });
    expect(kept.events.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 11 + i));
    expect((await router.replay(channel, { sinceTime: new Date(Date.now() - 3_600_000) })).events).toHaveLength(10);
  });

  it('keeps trades forever: retention leaves kept classes alone', async () => {
    const channel = `trades:${uniqueName()}`;
    await router.publishMany([1, 2].map((i) => ({ channel, type: 't', data: { i } })));
    await pool.query(`UPDATE event_log SET created_at = now() - interval '400 days' WHERE channel = $1`, [channel]);
    const relay = new Relay(router, { databaseUrl: db.url });
    await relay.enforceRetention();
    await relay.close();
    expect((await router.replay(channel, { sinceSeq: 1 })).events).toHaveLength(2);
  });

  it('rejects malformed ranges with INVALID_REPLAY', async () => {
    const channel = `prices:${uniqueName()}`;
    await expect(router.replay(channel, {})).rejects.toMatchObject({ code: 'INVALID_REPLAY' });
    await expect(router.replay(channel, { sinceSeq: 1, sinceTime: new Date() })).rejects.toMatchObject({
      code: 'INVALID_REPLAY',
    });
    await expect(router.replay(channel, { sinceSeq: -1 })).rejects.toMatchObject({ code: 'INVALID_REPLAY' });
    await expect(router.replay(channel, { sinceSeq: 1.5 })).rejects.toMatchObject({ code: 'INVALID_REPLAY' });
    await expect(router.replay(channel, { sinceSeq: 1, limit: 0 })).rejects.toMatchObject({ code: 'INVALID_REPLAY' });
    await expect(router.replay(channel, { sinceSeq: 1, limit: 10_001 })).rejects.toMatchObject({
      code: 'INVALID_REPLAY',
    });
    await expect(router.replay(channel, { sinceTime: new Date('nope') })).rejects.toMatchObject({
      code: 'INVALID_REPLAY',
    });
    await expect(router.replay('prices', { sinceSeq: 1 })).rejects.toMatchObject({ code: 'INVALID_CHANNEL' });
  });
});
