import { startRedisServer, type RedisServerHandle } from '@recio/topology';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecioEvent } from '../event.js';
import type { EventRouter } from '../router.js';
import { appliedSeqs, createAppliedLog, range, recordingHandler } from '../../test/support/applied-log.js';
import { createTestDatabase, uniqueName, until, type TestDatabase } from '@recio/test-support';
import { testRouter } from '../../test/support/routers.js';
import { FanoutReader } from './fanout-reader.js';

let db: TestDatabase;
let pool: pg.Pool;
let server: RedisServerHandle;
let router: EventRouter;
let admin: Redis;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  await createAppliedLog(pool);
  // Its own Redis: these tests kill pub/sub connections (CLIENT KILL TYPE pubsub).
  server = await startRedisServer({ config: { appendonly: false, save: [] } });
  router = await testRouter(db.url, { redis: { url: server.url } });
  admin = new Redis(server.url);
});

afterAll(async () => {
  admin.disconnect();
  await router.close();
  await server.close();
  await pool.end();
  await db.drop();
});

describe('FanoutReader', () => {
  it('delivers every event once, in order, across a lost pub/sub connection', async () => {
    const channel = `positions:${uniqueName()}`;
    const seen: RecioEvent[] = [];
    const reader = new FanoutReader(router, { channels: [channel], onEvent: (e) => void seen.push(e) });
    await reader.start();
    const published = [];
    for (const n of [1, 2, 3]) published.push(await router.publish(channel, 'tick', { n }));
    await expect.poll(() => seen.length).toBe(3);

    await admin.client('KILL', 'TYPE', 'pubsub'); // its messages until it resubscribes are lost
    for (const n of [4, 5, 6]) published.push(await router.publish(channel, 'tick', { n }));
    // Its new connection subscribed again (Redis counts one subscriber): 7 goes out live to it.
    await until('the reader subscribed again', async () => {
      const [, subscribers] = (await admin.pubsub('NUMSUB', channel)) as [string, number];
      return subscribers === 1;
    });
    published.push(await router.publish(channel, 'tick', { n: 7 }));
    await expect.poll(() => seen.map((e) => e.seq), { timeout: 10_000 }).toEqual(range(1, 7));
    expect(seen).toEqual(published);
    reader.close();
  });

  it('catches up from a known position before going live, on a pattern', async () => {
    const prefix = uniqueName('f');
    const channel = `trades:${prefix}_1`;
    const before = await router.publishMany(range(1, 5).map((n) => ({ channel, type: 't', data: { n } })));
    const seen: RecioEvent[] = [];
    const reader = new FanoutReader(router, {
      channels: [`trades:${prefix}_*`],
      since: new Map([[channel, 2]]),
      onEvent: (e) => void seen.push(e),
    });
    await reader.start();
    const after = await router.publish(channel, 't', { n: 6 });
    await expect.poll(() => seen.map((e) => e.seq)).toEqual([3, 4, 5, 6]);
    expect(seen).toEqual([...before.slice(2), after]);
    reader.close();
  });
});

describe('consumer shutdown and metrics', () => {
  it('finishes the handler under way on close, leaves the rest for the group, and counts what it did', async () => {
    const group = uniqueName('g');
    const channel = `trades:${uniqueName()}`;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const record = recordingHandler(group, 'svc-a');
    const member = await router.consume({
      group,
      consumer: 'svc-a',
      channels: [channel],
      sweepIntervalMs: 200,
      handler: async (event, ctx) => {
        if (event.seq === 2) await gate;
        await record(event, ctx);
      },
    });
    try {
      await router.publish(channel, 't', { n: 1 });
      await expect.poll(() => appliedSeqs(pool, group, [channel])).toEqual([[1]]);
      await router.publishMany(range(2, 4).map((n) => ({ channel, type: 't', data: { n } })));
      // 2–4 were read (2 from its doorbell's message, beside the read): the handler is held at 2.
      await expect.poll(() => member.inFlight).toBe(3);
      const closing = member.close(5_000);
      release();
      await closing;
    } finally {
      release();
    }
    await member.close(); // idempotent
    // What was read before close is applied (2, then 3–4), and nothing is read after it.
    expect(await appliedSeqs(pool, group, [channel])).toEqual([[1, 2, 3, 4]]);

    const text = await router.registry.metrics();
    expect(text).toMatch(
      new RegExp(`recio_consumer_events_total\\{group="${group}",class="trades",outcome="applied"\\} 4`),
    );
    expect(text).toMatch(
      new RegExp(`recio_consumer_delivery_lag_seconds_count\\{group="${group}",class="trades"\\} 4`),
    );
    // Outcomes that never happened are there at 0 (dashboards show none; the first dead letter is an increase).
    for (const outcome of ['duplicate', 'failed', 'dead_lettered', 'redriven'])
      expect(text).toMatch(
        new RegExp(`recio_consumer_events_total\\{group="${group}",class="trades",outcome="${outcome}"\\} 0`),
      );

    // A second member picks up what comes next: nothing is left behind by the closed one.
    await router.publish(channel, 't', { n: 5 });
    const next = await router.consume({
      group,
      consumer: 'svc-b',
      channels: [channel],
      sweepIntervalMs: 200,
      handler: recordingHandler(group, 'svc-b'),
    });
    await expect.poll(() => appliedSeqs(pool, group, [channel])).toEqual([[1, 2, 3, 4, 5]]);
    await next.close();
  });
});
