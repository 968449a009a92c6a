import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamKey } from './channels.js';
import type { EventRouter } from './router.js';
import { REDIS_URL, createTestDatabase, uniqueName, type TestDatabase } from '@recio/test-support';
import { testRouter } from '../test/support/routers.js';

let db: TestDatabase;
let router: EventRouter;
let redis: Redis;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  router = await testRouter(db.url, { poolSize: 16 });
  await router.waitUntilReady({ redisTimeoutMs: 5_000 });
  redis = new Redis(REDIS_URL);
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
});

afterAll(async () => {
  await router.close();
  redis.disconnect();
  await pool.end();
  await db.drop();
});

async function streamIds(channel: string): Promise<string[]> {
  return (await redis.xrange(streamKey(channel), '-', '+')).map(([id]) => id);
}

async function logSeqs(channel: string): Promise<number[]> {
  const { rows } = await pool.query<{ seq: string }>('SELECT seq FROM event_log WHERE channel = $1 ORDER BY seq', [
    channel,
  ]);
  return rows.map((r) => Number(r.seq));
}

describe('publish', () => {
  it('commits the event, then appends it as entry <seq>-0 with the deterministic fields', async () => {
    const channel = `trades:${uniqueName()}`;
    const first = await router.publish(channel, 'trade.opened', { id: 't1', price: 0.56 });
    const second = await router.publish(channel, 'trade.closed', { id: 't1' });
    expect([first.seq, second.seq]).toEqual([1, 2]);
    expect(first.source).toBe('test');

    const entries = await redis.xrange(streamKey(channel), '-', '+');
    expect(entries.map(([id]) => id)).toEqual(['1-0', '2-0']);
    const [, fields] = entries[0]!;
    expect(fields).toEqual([
      'event_id',
      first.event_id,
      'type',
      'trade.opened',
      'source',
      'test',
      'ts',
      String(first.ts),
      'data',
      expect.any(String),
    ]);
    expect(JSON.parse(fields[9]!)).toEqual({ id: 't1', price: 0.56 });

    const { rows } = await pool.query(
      'SELECT event_id, seq::int, type, data FROM event_log WHERE channel = $1 ORDER BY seq',
      [channel],
    );
    expect(rows).toEqual([
      { event_id: first.event_id, seq: 1, type: 'trade.opened', data: { id: 't1', price: 0.56 } },
      { event_id: second.event_id, seq: 2, type: 'trade.closed', data: { id: 't1' } },
    ]);
  });

  it('commits business rows and events together in one transaction', async () => {
    const channel = `positions:${uniqueName()}`;
    await pool.query('CREATE TABLE IF NOT EXISTS biz (id text PRIMARY KEY)');
    const id = uniqueName();
    const { value, events } = await router.transaction(async (tx) => {
      await tx.query('INSERT INTO biz (id) VALUES ($1)', [id]);
      tx.publish(channel, 'position.changed', { id });
      return 'done';
    });
    expect(value).toBe('done');
    expect(events.map((e) => e.seq)).toEqual([1]);
    expect((await pool.query('SELECT 1 FROM biz WHERE id = $1', [id])).rowCount).toBe(1);
    expect(await streamIds(channel)).toEqual(['1-0']);
  });

  it('commits relaxed transactions without a WAL flush, and publishing ones with it', async () => {
    const setting = async (tx: {
      query: (q: string) => Promise<{ rows: { synchronous_commit: string }[] }>;
    }): Promise<string> => (await tx.query('SHOW synchronous_commit')).rows[0]!.synchronous_commit;
    expect((await router.transaction(setting, { relaxedCommit: true })).value).toBe('off');
    expect((await router.transaction(setting)).value).toBe('on');
    const channel = `trades:${uniqueName()}`;
    const { events } = await router.transaction(
      async (tx) => {
        tx.publish(channel, 't', {});
      },
      { relaxedCommit: true },
    );
    expect(events.map((e) => e.seq)).toEqual([1]);
    expect(await streamIds(channel)).toEqual(['1-0']);
  });

  it('sends a statement with BEGIN and one with COMMIT in their round trips, and rolls back when the latter fails', async () => {
    await pool.query('CREATE TABLE IF NOT EXISTS biz (id text PRIMARY KEY)');
    const channel = `trades:${uniqueName()}`;
    const own = await testRouter(db.url);
    const roundTrips = async () =>
      (await own.registry.getSingleMetric('recio_pg_statements_total')!.get()).values.reduce((n, v) => n + v.value, 0);
    try {
      // The first transaction on a connection prepares the statements that ride BEGIN's and
      // COMMIT's round trips first (PREPARE); no later one does. One that sends nothing sends no
      // BEGIN or COMMIT either (deferred-begin.int.test.ts counts the others).
      const cold = await roundTrips();
      await own.transaction(async () => undefined);
      expect((await roundTrips()) - cold).toBe(1);
      const before = await roundTrips();
      const id = uniqueName('b');
      const { value } = await own.transaction(
        async (tx) => {
          await tx.query('INSERT INTO biz (id) VALUES ($1)', [id]);
          tx.publish(channel, 't', {});
          tx.closeWith(`INSERT INTO biz (id) VALUES ('${id}-closing')`);
          return tx.opened;
        },
        { relaxedCommit: true, opening: 'SELECT 41 + 1 AS answer' },
      );
      expect(value).toEqual([{ answer: 42 }]);
      // BEGIN with the opening, the business INSERT, the events' insert with the closing and COMMIT.
      expect((await roundTrips()) - before).toBe(3);
      expect((await pool.query('SELECT id FROM biz WHERE id LIKE $1 ORDER BY id', [`${id}%`])).rows).toEqual([
        { id },
        { id: `${id}-closing` },
      ]);
      expect(await streamIds(channel)).toEqual(['1-0']);
      // The events go as literals in that round trip: what is hard to quote arrives as it was sent.
      const awkward = { s: `it's "quoted", a \\ backslash, E'\n', ünïcode 😀, $1 and $$`, n: [1.5, -2, null] };
      const { events } = await own.transaction(async (tx) => {
        tx.publish(channel, 'a', awkward);
        tx.publish(`${channel}_2`, 'b', { k: "O'Brien" });
        tx.publish(channel, 'c', {});
      });
      expect(events.map((e) => [e.channel, e.seq, e.type])).toEqual([
        [channel, 2, 'a'],
        [`${channel}_2`, 1, 'b'],
        [channel, 3, 'c'],
      ]);
      const stored = await pool.query<{ data: unknown }>('SELECT data FROM event_log WHERE channel = $1 AND seq = 2', [
        channel,
      ]);
      expect(stored.rows[0]!.data).toEqual(awkward);

      const failing = uniqueName('b');
      await expect(
        own.transaction(async (tx) => {
          await tx.query('INSERT INTO biz (id) VALUES ($1)', [failing]);
          tx.publish(channel, 't', {});
          tx.closeWith('SELECT 1 / 0');
        }),
      ).rejects.toMatchObject({ code: '22012' });
      expect((await pool.query('SELECT 1 FROM biz WHERE id = $1', [failing])).rowCount).toBe(0);
      expect(await logSeqs(channel)).toEqual([1, 2, 3]);
      await expect(own.transaction(async () => undefined, { lazy: true, opening: 'SELECT 1' })).rejects.toMatchObject({
        code: 'INVALID_OPTION',
      });
      // An opening that fails rolls back before its connection goes back to the pool: the pool's
      // connections all work afterwards.
      for (let i = 0; i < 3; i++)
        await expect(own.transaction(async () => undefined, { opening: 'SELECT 1 / 0' })).rejects.toMatchObject({
          code: '22012',
        });
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => own.transaction(async (tx) => (await tx.query('SELECT 1 AS one')).rows[0])),
      );
      expect(answers.map((a) => a.value)).toEqual(Array.from({ length: 12 }, () => ({ one: 1 })));
    } finally {
      await own.close();
    }
  });

  it('leaves no trace anywhere when the transaction rolls back', async () => {
    const channel = `trades:${uniqueName()}`;
    await router.publish(channel, 'trade.opened', { n: 1 });
    const sub = new Redis(REDIS_URL);
    const heard: string[] = [];
    await sub.subscribe(channel);
    sub.on('message', (_c, message) => heard.push(message));

    await expect(
      router.transaction(async (tx) => {
        tx.publish(channel, 'trade.opened', { n: 2 });
        await tx.query('SELECT 1/0');
      }),
    ).rejects.toMatchObject({ code: '22012' });
    // The next event takes seq 2: the rolled-back one consumed nothing.
    const next = await router.publish(channel, 'trade.opened', { n: 3 });
    expect(next.seq).toBe(2);
    await expect.poll(() => heard.length).toBe(1);
    sub.disconnect();

    expect(heard.map((m) => JSON.parse(m).data)).toEqual([{ n: 3 }]);
    expect(await logSeqs(channel)).toEqual([1, 2]);
    expect((await redis.xrange(streamKey(channel), '-', '+')).map(([, f]) => JSON.parse(f[9]!).n)).toEqual([1, 3]);
  });

  it("exports its Redis client's connection state and command latency, blocking reads left out", async () => {
    const count = async (command: string) =>
      (await router.registry.getSingleMetric('recio_redis_command_seconds')!.get()).values.find(
        (v) =>
          (v as { metricName?: string }).metricName === 'recio_redis_command_seconds_count' &&
          v.labels.command === command,
      )?.value ?? 0;
    const connected = async () =>
      (await router.registry.getSingleMetric('recio_redis_connected')!.get()).values[0]!.value;
    expect(await connected()).toBe(1);
    const channel = `trades:${uniqueName()}`;
    const before = { ping: await count('ping'), xread: await count('xread') };
    await router.redis.ping();
    await router.redis.xread('BLOCK', 10, 'STREAMS', streamKey(channel), '$');
    await router.publish(channel, 'trade.opened', { n: 1 });
    expect(await count('ping')).toBe(before.ping + 1);
    expect(await count('xread')).toBe(before.xread); // waiting for entries is not latency
    expect(await count('evalsha')).toBeGreaterThan(0); // the append script

    const other = await testRouter(db.url);
    await other.waitUntilReady({ redisTimeoutMs: 5_000 });
    expect((await other.registry.getSingleMetric('recio_redis_connected')!.get()).values[0]!.value).toBe(1);
    await other.close();
    await expect
      .poll(async () => (await other.registry.getSingleMetric('recio_redis_connected')!.get()).values[0]!.value)
      .toBe(0);
  });

  it('runs commit hooks after COMMIT only, in order, and a failing hook loses nothing', async () => {
    const ran: string[] = [];
    const committedBeforeHook = async (channel: string) => (await logSeqs(channel)).length;
    const channel = `trades:${uniqueName()}`;
    let seenInHook = -1;
    const { events } = await router.transaction(async (tx) => {
      tx.onCommit(() => ran.push('first'));
      tx.onCommit(() => {
        throw new Error('a broken hook');
      });
      tx.onCommit(() => ran.push('third'));
      tx.onCommit(() => void committedBeforeHook(channel).then((n) => (seenInHook = n)));
      tx.publish(channel, 'trade.opened', { n: 1 });
    });
    expect(events.map((e) => e.seq)).toEqual([1]);
    expect(ran).toEqual(['first', 'third']);
    await expect.poll(() => seenInHook).toBe(1);

    await expect(
      router.transaction(async (tx) => {
        tx.onCommit(() => ran.push('rolled back'));
        await tx.query('SELECT 1/0');
      }),
    ).rejects.toMatchObject({ code: '22012' });
    expect(ran).toEqual(['first', 'third']);
  });

  it('announces each event on pub/sub with channel, seq and event_id', async () => {
    const channel = `account:${uniqueName()}`;
    const sub = new Redis(REDIS_URL);
    const heard: Record<string, unknown>[] = [];
    await sub.subscribe(channel);
    sub.on('message', (_c, message) => heard.push(JSON.parse(message)));
    const published = await router.publishMany([
      { channel, type: 'balance.changed', data: { cents: 100 } },
      { channel, type: 'balance.changed', data: { cents: 250 } },
    ]);
    await expect.poll(() => heard.length).toBe(2);
    sub.disconnect();
    expect(heard).toEqual(published);
  });

  it('keeps concurrent publishers on one channel gapless, in commit order, once each', async () => {
    const channel = `trades:${uniqueName()}`;
    const perWorker = 60;
    const workers = 12;
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (let i = 0; i < perWorker; i++) {
          if (i % 3 === 0) {
            await router.transaction(async (tx) => {
              tx.publishMany([
                { channel, type: 'x', data: { w, i, part: 0 } },
                { channel, type: 'x', data: { w, i, part: 1 } },
              ]);
            });
          } else {
            await router.publish(channel, 'x', { w, i });
          }
        }
      }),
    );
    const total = workers * perWorker + workers * (perWorker / 3);
    const seqs = await logSeqs(channel);
    expect(seqs).toEqual(Array.from({ length: total }, (_, k) => k + 1));
    const entries = await redis.xrange(streamKey(channel), '-', '+');
    expect(entries.map(([id]) => id)).toEqual(seqs.map((s) => `${s}-0`));
    // Each stream entry is the event_log row of the same seq.
    const { rows } = await pool.query<{ event_id: string }>(
      'SELECT event_id FROM event_log WHERE channel = $1 ORDER BY seq',
      [channel],
    );
    expect(entries.map(([, f]) => f[1])).toEqual(rows.map((r) => r.event_id));
    // Within one worker, its events keep their order (commit order = seq order).
    const order = entries.map(([, f]) => JSON.parse(f[9]!) as { w: number; i: number });
    for (let w = 0; w < workers; w++) {
      const mine = order.filter((d) => d.w === w).map((d) => d.i);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
  });

  it('publishes to thousands of channels in one batch, each with its own sequence', async () => {
    const ns = uniqueName();
    const channels = Array.from({ length: 3_000 }, (_, i) => `positions:${ns}_${i}`);
    const events = channels.flatMap((channel) => [
      { channel, type: 'tick', data: { p: 1 } },
      { channel, type: 'tick', data: { p: 2 } },
    ]);
    // Reverse order of channels in a second batch: head locks are still taken in channel order.
    const [a, b] = await Promise.all([router.publishMany(events), router.publishMany([...events].reverse())]);
    expect(a.length + b.length).toBe(12_000);
    const sample = [channels[0]!, channels[1_500]!, channels[2_999]!];
    for (const channel of sample) {
      expect(await logSeqs(channel)).toEqual([1, 2, 3, 4]);
      expect(await streamIds(channel)).toEqual(['1-0', '2-0', '3-0', '4-0']);
    }
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM channel_head WHERE channel LIKE $1 AND last_seq = 4`,
      [`positions:${ns}_%`],
    );
    expect(Number(rows[0]!.n)).toBe(3_000);
  });

  it('rejects bad input with a stable code and writes nothing', async () => {
    const channel = `trades:${uniqueName()}`;
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(router.publish('nope', 'x', {})).rejects.toMatchObject({ code: 'INVALID_CHANNEL' });
    await expect(router.publish('unknown:abc', 'x', {})).rejects.toMatchObject({ code: 'INVALID_CHANNEL' });
    await expect(router.publish('trades:a b', 'x', {})).rejects.toMatchObject({ code: 'INVALID_CHANNEL' });
    await expect(router.publish('trades:{x}', 'x', {})).rejects.toMatchObject({ code: 'INVALID_CHANNEL' });
    await expect(router.publish(channel, 'bad type!', {})).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    await expect(router.publish(channel, 'x', undefined)).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    await expect(router.publish(channel, 'x', { n: 1n })).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    await expect(router.publish(channel, 'x', cyclic)).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    await expect(router.publish(channel, 'x', { s: 'a\u0000b' })).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    await expect(router.publish(channel, 'x', { s: 'x'.repeat(300_000) })).rejects.toMatchObject({
      code: 'INVALID_EVENT',
    });
    // A bad event in a batch rejects the whole batch before anything is written.
    await expect(
      router.publishMany([
        { channel, type: 'x', data: 1 },
        { channel: 'bad', type: 'x', data: 1 },
      ]),
    ).rejects.toMatchObject({ code: 'INVALID_CHANNEL' });
    expect(await logSeqs(channel)).toEqual([]);
    expect(await streamIds(channel)).toEqual([]);
    // ...and the router still works.
    expect((await router.publish(channel, 'x', { ok: true })).seq).toBe(1);
  });
});
