import { startRedisServer, type RedisServerHandle } from '@recio/topology';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { dlqKey, streamKey } from '../channels.js';
import { insertEvents } from '../sql/insert-events.js';
import type { EventRouter } from '../router.js';
import { appliedSeqs, createAppliedLog, range, recordingHandler } from '../../test/support/applied-log.js';
import { runCli } from '../../test/support/cli.js';
import { createTestDatabase, uniqueName, until, type TestDatabase } from '@recio/test-support';
import { testRouter } from '../../test/support/routers.js';
import type { RecioEvent } from '../event.js';
import type { Consumer } from './consumer.js';
import { isEntryOf, rungDelivery } from './deliveries.js';
import type { ConsumeOptions } from './consumer-options.js';

let db: TestDatabase;
let pool: pg.Pool;
let router: EventRouter;
let redis: Redis;
let server: RedisServerHandle;
let env: Record<string, string>;
const consumers: Consumer[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  await createAppliedLog(pool);
  // A Redis of its own: system:health is one stream for everyone, and other test files
  // (other databases) publish to it too.
  server = await startRedisServer({ config: { appendonly: false, save: [] } });
  router = await testRouter(db.url, { poolSize: 20, redis: { url: server.url } });
  redis = new Redis(server.url);
  env = { DATABASE_URL: db.url, REDIS_URL: server.url };
});

afterAll(async () => {
  for (const c of consumers) await c.close(1_000);
  await router.close();
  redis.disconnect();
  await server.close();
  await pool.end();
  await db.drop();
});

async function consume(options: ConsumeOptions): Promise<Consumer> {
  const c = await router.consume({ sweepIntervalMs: 200, claimIdleMs: 1_000, retryBaseMs: 10, ...options });
  consumers.push(c);
  return c;
}

describe('consume', () => {
  it('applies each event once, in order, including those published before it started', async () => {
    const group = uniqueName('g');
    const channel = `trades:${uniqueName()}`;
    await router.publishMany(range(1, 5).map((n) => ({ channel, type: 't', data: { n } })));
    await consume({ group, consumer: 'svc-a', channels: [channel], handler: recordingHandler(group, 'svc-a') });
    for (let n = 6; n <= 40; n++) await router.publish(channel, 't', { n });
    await expect.poll(() => appliedSeqs(pool, group, [channel]), { timeout: 10_000 }).toEqual([range(1, 40)]);
  });

  it.each(['outside', 'transaction'] as const)(
    'keeps per-channel order with 3 members of one group on 50 channels, applying nothing twice (effects %j)',
    async (effects) => {
      const group = uniqueName('g');
      const channels = Array.from({ length: 50 }, (_, i) => `positions:${uniqueName()}_${i}`);
      for (const name of ['svc-1', 'svc-2', 'svc-3']) {
        await consume({
          group,
          consumer: name,
          channels,
          effects,
          handler: recordingHandler(group, name),
          batchSize: 7,
        });
      }
      await Promise.all(
        range(1, 4).map(async (w) => {
          for (let i = 0; i < 50; i++)
            await router.publishMany(
              channels
                .slice((w * 13 + i) % 40, ((w * 13 + i) % 40) + 10)
                .map((channel) => ({ channel, type: 'p', data: { w, i } })),
            );
        }),
      );
      const heads = await Promise.all(
        channels.map(async (c) =>
          Number(
            (await pool.query('SELECT last_seq FROM channel_head WHERE channel = $1', [c])).rows[0]?.last_seq ?? 0,
          ),
        ),
      );
      await expect
        .poll(() => appliedSeqs(pool, group, channels), { timeout: 30_000 })
        .toEqual(heads.map((h) => range(1, h)));
      const { rows } = await pool.query<{ n: string }>(
        'SELECT count(DISTINCT consumer) AS n FROM applied WHERE group_name = $1',
        [group],
      );
      expect(Number(rows[0]!.n)).toBeGreaterThan(1); // the work was really shared
    },
  );

  it('dead-letters a poison event after maxDeliveries and goes on with the channel', async () => {
    const group = uniqueName('g');
    const channel = `trades:${uniqueName()}`;
    const health = new Redis(server.url);
    const heard: { type: string; data: Record<string, unknown> }[] = [];
    await health.subscribe('system:health');
    health.on('message', (_c, m) => heard.push(JSON.parse(m)));
    let refuse = true;
    await consume({
      group,
      consumer: 'svc-a',
      channels: [channel],
      maxDeliveries: 3,
      handler: recordingHandler(group, 'svc-a', (seq) => refuse && seq === 3),
    });
    await router.publishMany(range(1, 6).map((n) => ({ channel, type: 't', data: { n } })));
    await expect.poll(() => appliedSeqs(pool, group, [channel]), { timeout: 10_000 }).toEqual([[1, 2, 4, 5, 6]]);
    const { rows } = await pool.query(
      'SELECT seq::int, deliveries, error_code, error FROM dead_letter WHERE group_name = $1',
      [group],
    );
    expect(rows).toEqual([{ seq: 3, deliveries: 3, error_code: 'HANDLER_FAILED', error: 'refusing seq 3' }]);
    const dlq = await redis.xrange(dlqKey(channel), '-', '+');
    expect(dlq).toHaveLength(1);
    await expect
      .poll(() => heard.find((h) => h.type === 'consumer.dead_letter' && h.data.group === group)?.data)
      .toMatchObject({ channel, seq: 3, deliveries: 3 });
    health.disconnect();

    // recio dlq list shows it; recio dlq replay re-drives it (the handler now accepts it).
    const list = await runCli(['dlq', 'list', '--group', group], env);
    expect(list.code).toBe(0);
    const letter = JSON.parse(list.stdout.trim().split('\n')[0]!);
    expect(letter).toMatchObject({ group_name: group, channel, seq: 3, redriven_at: null });
    refuse = false;
    const redrive = await runCli(['dlq', 'replay', '--id', String(letter.id)], env);
    expect(redrive.code).toBe(0);
    await expect.poll(() => appliedSeqs(pool, group, [channel]), { timeout: 10_000 }).toEqual([[1, 2, 4, 5, 6, 3]]);
    const after = await pool.query('SELECT redriven_at FROM dead_letter WHERE id = $1', [letter.id]);
    expect(after.rows[0].redriven_at).toBeInstanceOf(Date);
    expect((await runCli(['dlq', 'replay', '--id', '999999'], env)).stderr).toContain('recio: NOT_FOUND');
  });

  it('sends events that fail validation straight to the dead letter without crashing', async () => {
    const group = uniqueName('g');
    const channel = `settings:${uniqueName()}`;
    await consume({
      group,
      consumer: 'svc-a',
      channels: [channel],
      handler: recordingHandler(group, 'svc-a'),
      decode: (e) => {
        if (typeof (e.data as { min?: unknown }).min !== 'number') throw new Error('min must be a number');
        return e;
      },
    });
    await router.publishMany(
      [{ min: 1 }, { min: 'x' }, { min: 3 }].map((data) => ({ channel, type: 'settings.changed', data })),
    );
    await expect.poll(() => appliedSeqs(pool, group, [channel]), { timeout: 10_000 }).toEqual([[1, 3]]);
    const { rows } = await pool.query(
      'SELECT seq::int, deliveries, error_code, error FROM dead_letter WHERE group_name = $1',
      [group],
    );
    expect(rows).toEqual([{ seq: 2, deliveries: 1, error_code: 'EVENT_INVALID', error: 'min must be a number' }]);
  });

  it('picks up a channel created after a pattern subscription started', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('p');
    const existing = `account:${prefix}_old`;
    await router.publish(existing, 'a', { n: 1 });
    const c = await consume({
      group,
      consumer: 'svc-a',
      channels: [`account:${prefix}_*`],
      handler: recordingHandler(group, 'svc-a'),
    });
    expect(c.channels).toEqual([existing]);
    const created = `account:${prefix}_new`;
    await router.publishMany([1, 2, 3].map((n) => ({ channel: created, type: 'a', data: { n } })));
    await expect
      .poll(() => appliedSeqs(pool, group, [existing, created]), { timeout: 10_000 })
      .toEqual([[1], [1, 2, 3]]);
    expect(c.channels).toContain(created);
  });

  it('recovers from PostgreSQL what a vanished member held when the stream was trimmed under it', async () => {
    const group = uniqueName('g');
    const channel = `trades:${uniqueName()}`;
    const key = `stream:{${channel}}`;
    await router.publishMany(range(1, 10).map((n) => ({ channel, type: 't', data: { n } })));
    // A member that read everything and died before applying it: its entries sit in the PEL.
    await pool.query('INSERT INTO consumer_offset (group_name, channel, applied_seq) VALUES ($1, $2, 0)', [
      group,
      channel,
    ]);
    await redis.xgroup('CREATE', key, group, '0');
    const ghost = await redis.xreadgroup('GROUP', group, 'svc-ghost', 'COUNT', 100, 'STREAMS', key, '>');
    expect((ghost as unknown[][])[0]![1]).toHaveLength(10);
    await redis.xtrim(key, 'MAXLEN', 0); // and Redis trimmed the entries themselves away
    await router.publish(channel, 't', { n: 11 });
    await consume({
      group,
      consumer: 'svc-a',
      channels: [channel],
      claimIdleMs: 200,
      handler: recordingHandler(group, 'svc-a'),
    });
    await expect.poll(() => appliedSeqs(pool, group, [channel]), { timeout: 15_000 }).toEqual([range(1, 11)]);
  });

  it('starts a new group from PostgreSQL history when asked to', async () => {
    const channel = `trades:${uniqueName()}`;
    await router.publishMany(range(1, 30).map((n) => ({ channel, type: 't', data: { n } })));
    await redis.xtrim(`stream:{${channel}}`, 'MAXLEN', 5); // Redis keeps only the tail
    const fromRedis = uniqueName('g');
    const fromPostgres = uniqueName('g');
    await consume({
      group: fromRedis,
      consumer: 'svc-a',
      channels: [channel],
      handler: recordingHandler(fromRedis, 'svc-a'),
    });
    await consume({
      group: fromPostgres,
      consumer: 'svc-a',
      channels: [channel],
      startFrom: 'postgres',
      handler: recordingHandler(fromPostgres, 'svc-a'),
    });
    await expect.poll(() => appliedSeqs(pool, fromPostgres, [channel]), { timeout: 10_000 }).toEqual([range(1, 30)]);
    expect(await appliedSeqs(pool, fromRedis, [channel])).toEqual([range(26, 30)]);
  });

  it('applies the committed event in place of an entry that is not one, and never an entry above the head', async () => {
    const group = uniqueName('g');
    const channel = `account:${uniqueName()}`;
    const other = `account:${uniqueName()}`;
    await router.publishMany(range(1, 3).map((n) => ({ channel, type: 'a', data: { n } })));
    // 4 and 5 commit, but something other than the append script wrote their entries first: data that
    // is not JSON, then an entry with none of the event's fields but its type; and a 6 nobody committed.
    await insertEvents(
      pool,
      range(4, 5).map((n) => ({ event_id: randomUUID(), channel, type: 'a', dataText: JSON.stringify({ n }) })),
      'test',
    );
    await redis.xadd(`stream:{${channel}}`, '4-0', 'event_id', 'not-a-uuid', 'type', 'a', 'data', '{broken');
    await redis.xadd(`stream:{${channel}}`, '5-0', 'type', 'a');
    await redis.xadd(`stream:{${channel}}`, '6-0', 'event_id', randomUUID(), 'type', 'a', 'data', '{"n":6}');
    await consume({
      group,
      consumer: 'svc-a',
      channels: [channel, other],
      batchSize: 10,
      handler: recordingHandler(group, 'svc-a'),
    });
    // PostgreSQL's 4 and 5 are applied (PostgreSQL is the system of record); 6 is not an event.
    await expect.poll(() => appliedSeqs(pool, group, [channel]), { timeout: 10_000 }).toEqual([range(1, 5)]);
    const { rows: applied } = await pool.query(
      `SELECT e.data FROM applied a JOIN event_log e ON e.event_id = a.event_id WHERE a.group_name = $1 ORDER BY a.seq`,
      [group],
    );
    expect(applied.map((r: { data: { n: number } }) => r.data.n)).toEqual(range(1, 5));
    expect((await pool.query('SELECT 1 FROM dead_letter WHERE group_name = $1', [group])).rowCount).toBe(0);
    // Every entry was acknowledged, the one above the head too (it never comes back).
    await expect.poll(async () => (await redis.xpending(`stream:{${channel}}`, group))[0]).toBe(0);
    await router.publish(other, 'a', { n: 1 });
    await expect.poll(() => appliedSeqs(pool, group, [other])).toEqual([[1]]);
  });

  it('applies a commit that never reached Redis, and removes members that are gone and hold nothing', async () => {
    const group = uniqueName('g');
    const channel = `positions:${uniqueName()}`;
    const key = `stream:{${channel}}`;
    const claimIdleMs = 200;
    await router.publish(channel, 'p', { n: 1 });
    await consume({
      group,
      consumer: 'svc-a',
      channels: [channel],
      claimIdleMs,
      handler: recordingHandler(group, 'svc-a'),
    });
    await expect.poll(() => appliedSeqs(pool, group, [channel])).toEqual([[1]]);
    // A member that joined, read nothing and went away. (Created explicitly: an XREADGROUP that
    // returns nothing creates no consumer on Redis 7.0, and the removal would go untested.)
    await redis.xgroup('CREATECONSUMER', key, group, 'svc-gone');
    // Gone means idle > 10 × claimIdleMs by Redis's own clock (XINFO CONSUMERS, what the
    // consumer compares): time has to pass, so wait for that clock rather than a guessed sleep.
    await until(
      'svc-gone idle longer than 10 × claimIdleMs',
      async () => {
        const rows = (await redis.call('XINFO', 'CONSUMERS', key, group)) as (string | number)[][];
        const gone = rows.find((row) => row[1] === 'svc-gone'); // [name, …, idle, ms, …]
        return gone !== undefined && Number(gone[gone.indexOf('idle') + 1]) > 10 * claimIdleMs;
      },
      { intervalMs: 100 },
    );
    // A commit whose publisher died before appending, and no relay running.
    await insertEvents(pool, [{ event_id: randomUUID(), channel, type: 'p', dataText: '{"n":2}' }], 'test');
    await expect.poll(() => appliedSeqs(pool, group, [channel]), { timeout: 10_000 }).toEqual([[1, 2]]);
    const members = (await redis.call('XINFO', 'CONSUMERS', key, group)) as string[][];
    expect(members.map((m) => m[1])).toEqual(['svc-a']);
  });

  it('hands the handler only its types, moving past a run of the others in one statement', async () => {
    const group = uniqueName('g');
    const channel = `trades:${uniqueName()}`;
    const seen: [number, string][] = [];
    // A router of its own: what its pool sends is this member's alone.
    const own = await testRouter(db.url, { redis: { url: server.url } });
    consumers.push(
      await own.consume({
        group,
        consumer: 'svc-a',
        channels: [channel],
        types: ['wanted'],
        sweepIntervalMs: 600_000,
        handler: async (e) => void seen.push([e.seq, e.type]),
      }),
    );
    await router.publish(channel, 'wanted', {});
    await until('the first', () => seen.length === 1);
    const offset = async () =>
      Number(
        (
          await pool.query('SELECT applied_seq FROM consumer_offset WHERE group_name = $1 AND channel = $2', [
            group,
            channel,
          ])
        ).rows[0]?.applied_seq ?? 0,
      );
    const control = () => counter(own, 'recio_pg_statements_total', { kind: 'transaction' });
    await until('the first committed', async () => (await offset()) === 1);
    const before = await control();
    await router.publishMany(range(1, 5).map(() => ({ channel, type: 'other', data: {} })));
    await until('the offset past the others', async () => (await offset()) === 6);
    // No BEGIN/COMMIT at all: the locked path would cost two a run.
    expect((await control()) - before).toBe(0);
    await router.publishMany([
      { channel, type: 'other', data: {} },
      { channel, type: 'wanted', data: {} },
    ]);
    await until('the second', () => seen.length === 2);
    expect(seen).toEqual([
      [1, 'wanted'],
      [8, 'wanted'],
    ]);
    await until('every offset', async () => (await offset()) === 8);
    await consumers.pop()!.close(1_000);
    await own.close();
  });

  it.each([
    ['outside', 3],
    ['transaction', 2],
  ] as const)(
    'with effects %j, a handled event of a channel the member knows costs PostgreSQL %i round trips',
    async (effects, expected) => {
      const group = uniqueName('g');
      const channel = `trades:${uniqueName()}`;
      // A router of its own: what its pool sends is this member's alone. One connection: the start's
      // sweep may otherwise leave a second one on top of the pool, not yet prepared (PREPARE is one
      // more round trip, once per connection).
      const own = await testRouter(db.url, { redis: { url: server.url }, poolSize: 1 });
      const roundTrips = () => counter(own, 'recio_pg_statements_total', {});
      // Counted once the transaction's last round trip has returned (the row is visible a moment
      // before: PostgreSQL commits, then answers).
      const applied = () => counter(own, 'recio_consumer_events_total', { group, outcome: 'applied' });
      await consumeAlone(own, group, channel, recordingHandler(group, 'svc-a'), effects);
      // The first is applied locked either way: the member does not know the offset yet.
      await router.publish(channel, 't', {});
      await expect.poll(applied, { timeout: 10_000 }).toBe(1);
      const costs: number[] = [];
      for (let n = 2; n <= 4; n++) {
        const before = await roundTrips();
        await router.publish(channel, 't', {});
        await expect.poll(applied, { timeout: 10_000 }).toBe(n);
        expect(await appliedSeqs(pool, group, [channel])).toEqual([range(1, n)]);
        costs.push((await roundTrips()) - before);
      }
      // Locked: BEGIN with the lock, the handler's INSERT, the advance with COMMIT. Checked: BEGIN
      // with the INSERT, the checked advance with COMMIT.
      expect(costs).toEqual([expected, expected, expected]);
      await consumers.pop()!.close(1_000);
      await own.close();
    },
  );

  it("with effects 'transaction', rolls back a run whose offset moved or that is above the committed head, and applies it locked", async () => {
    const group = uniqueName('g');
    const channel = `trades:${uniqueName()}`;
    const own = await testRouter(db.url, { redis: { url: server.url } });
    const moved = () => counter(own, 'recio_consumer_offset_check_refusals_total', { group });
    const outcome = (o: string) => counter(own, 'recio_consumer_events_total', { group, outcome: o });
    const record = recordingHandler(group, 'svc-a');
    // As the trade manager does, it publishes on the channel it consumes (for a 'report').
    await consumeAlone(own, group, channel, async (event, ctx) => {
      // A 'strict' event fails the handler when it was applied already (as a unique key would).
      const strict = (event.data as { strict?: boolean }).strict === true;
      const again = await ctx.tx.query('SELECT 1 FROM applied WHERE group_name = $1 AND channel = $2 AND seq = $3', [
        group,
        channel,
        event.seq,
      ]);
      if (strict && again.rowCount! > 0) throw new Error(`seq ${event.seq} applied already`);
      await record(event, ctx);
      if (event.type === 'report') ctx.tx.publish(channel, 'echo', {});
    });
    await router.publishMany(range(1, 2).map((n) => ({ channel, type: 't', data: { n } })));
    await expect.poll(() => appliedSeqs(pool, group, [channel]), { timeout: 10_000 }).toEqual([[1, 2]]);
    await router.publish(channel, 't', { n: 3 }); // checked: the member knows the offset now
    await expect.poll(() => appliedSeqs(pool, group, [channel]), { timeout: 10_000 }).toEqual([[1, 2, 3]]);
    expect(await moved()).toBe(0);

    /** Another member applies `seq` (its row, its offset move) without this one knowing. */
    const appliedByAnother = async (seq: number) => {
      await pool.query('INSERT INTO applied (group_name, channel, seq, consumer) VALUES ($1, $2, $3, $4)', [
        group,
        channel,
        seq,
        'svc-b',
      ]);
      await pool.query('UPDATE consumer_offset SET applied_seq = $3 WHERE group_name = $1 AND channel = $2', [
        group,
        channel,
        seq,
      ]);
    };
    await appliedByAnother(4);
    await router.publishMany(range(4, 5).map((n) => ({ channel, type: 't', data: { n } })));
    // 4 reached this member's handler and was rolled back with it; 5 applied once.
    await expect.poll(() => appliedSeqs(pool, group, [channel]), { timeout: 10_000 }).toEqual([range(1, 5)]);
    const { rows } = await pool.query<{ consumer: string }>(
      'SELECT consumer FROM applied WHERE group_name = $1 AND seq = 4',
      [group],
    );
    expect(rows).toEqual([{ consumer: 'svc-b' }]);
    expect(await moved()).toBe(1);
    expect(await outcome('duplicate')).toBe(1);

    // The same, but the handler fails on what was applied already: the run goes locked at once
    // (a duplicate there), not to the retry policy.
    await appliedByAnother(6);
    await router.publishMany(range(6, 7).map((n) => ({ channel, type: 't', data: { n, strict: true } })));
    await expect.poll(() => appliedSeqs(pool, group, [channel]), { timeout: 10_000 }).toEqual([range(1, 7)]);
    expect(await outcome('failed')).toBe(0);
    expect(await outcome('duplicate')).toBe(2);
    expect(await moved()).toBe(1); // a failure, not a refusal

    // An entry nobody committed (8, above the head), and its doorbell. Its handler's own event would
    // raise the head to 8 in its transaction: the check compares with the head committed before it.
    await redis.xadd(
      streamKey(channel),
      '8-0',
      'event_id',
      randomUUID(),
      'type',
      'report',
      'source',
      'x',
      'ts',
      '0',
      'data',
      '{}',
    );
    await redis.publish(channel, 'ring');
    await expect.poll(() => outcome('ahead_of_head'), { timeout: 10_000 }).toBe(1);
    expect(await moved()).toBe(2);
    expect(await appliedSeqs(pool, group, [channel])).toEqual([range(1, 7)]);
    const { rows: log } = await pool.query<{ seq: string }>(
      'SELECT seq FROM event_log WHERE channel = $1 ORDER BY seq',
      [channel],
    );
    expect(log.map((r) => Number(r.seq))).toEqual(range(1, 7)); // and its 'echo' never committed
    await expect.poll(async () => (await redis.xpending(streamKey(channel), group))[0]).toBe(0);
    // Each applied event's delivery lag observed once (1, 2, 3, 5, 7), not once per attempt (9 handler starts).
    const lags = (await own.registry.getSingleMetric('recio_consumer_delivery_lag_seconds')?.get())?.values ?? [];
    const observed = lags
      .filter(
        (v) =>
          (v as { metricName?: string }).metricName === 'recio_consumer_delivery_lag_seconds_count' &&
          v.labels.group === group,
      )
      .reduce((sum, v) => sum + v.value, 0);
    expect(await outcome('applied')).toBe(5);
    expect(observed).toBe(5);
    await consumers.pop()!.close(1_000);
    await own.close();
  });

  it.each(['transaction', 'outside'] as const)(
    "with effects %j, applies the doorbell's event beside the read, and commits it only when the read delivered that entry",
    async (effects) => {
      const group = uniqueName('g');
      const channel = `trades:${uniqueName()}`;
      const own = await testRouter(db.url, { redis: { url: server.url } });
      const early = (outcome: string) => counter(own, 'recio_consumer_early_runs_total', { group, outcome });
      const record = recordingHandler(group, 'svc-a');
      const seen: unknown[] = [];
      await consumeAlone(
        own,
        group,
        channel,
        async (event, ctx) => {
          seen.push(event.data);
          await record(event, ctx);
        },
        effects,
      );
      const appliedIds = async () =>
        (
          await pool.query<{ event_id: string }>('SELECT event_id FROM applied WHERE group_name = $1 ORDER BY id', [
            group,
          ])
        ).rows.map((r) => r.event_id);
      // The first is read: the member does not know where the group stands on the channel yet.
      const first = (await router.publish(channel, 't', { n: 1 })).event_id;
      await expect.poll(appliedIds, { timeout: 10_000 }).toEqual([first]);
      expect(await early('owned')).toBe(0);
      const second = (await router.publish(channel, 't', { n: 2 })).event_id;
      await expect.poll(appliedIds, { timeout: 10_000 }).toEqual([first, second]);
      expect(await early('owned')).toBe(1);

      // A message no append sent (anyone may PUBLISH on a channel's name) for the seq that comes next:
      // the read finds no such entry, and nothing of it commits. A handler whose effects are all in its
      // transaction ran on what it says (and was rolled back); any other handler waits for the read.
      const forged = {
        event_id: randomUUID(),
        channel,
        seq: 3,
        type: 't',
        source: 'x',
        ts: Date.now(),
        data: { n: 'x' },
      };
      await redis.publish(channel, JSON.stringify(forged));
      await expect.poll(() => early('not_owned'), { timeout: 10_000 }).toBe(1);
      if (effects === 'transaction') expect(seen).toContainEqual({ n: 'x' });
      else expect(seen).not.toContainEqual({ n: 'x' });
      const third = (await router.publish(channel, 't', { n: 3 })).event_id;
      await expect.poll(appliedIds, { timeout: 10_000 }).toEqual([first, second, third]);
      expect(await early('owned')).toBe(2);
      expect(await appliedSeqs(pool, group, [channel])).toEqual([[1, 2, 3]]);
      await expect.poll(async () => (await redis.xpending(streamKey(channel), group))[0]).toBe(0);
      await consumers.pop()!.close(1_000);
      await own.close();
    },
  );

  it("never retries a doorbell's run that failed before the read told whose it was, when it was not this member's", async () => {
    // The locked path (effects 'outside') sends BEGIN and the offset lock beside the read. When they
    // fail (here: the offset row held by another transaction past the member's lock_timeout), the run
    // failed before its ownership was known: a forged message's run must then come to nothing, never
    // be held and retried as if the read had delivered it.
    const group = uniqueName('g');
    const channel = `trades:${uniqueName()}`;
    const url = new URL(db.url);
    url.searchParams.set('options', '-c lock_timeout=300');
    const own = await testRouter(url.toString(), { redis: { url: server.url } });
    const early = (outcome: string) => counter(own, 'recio_consumer_early_runs_total', { group, outcome });
    await consumeAlone(own, group, channel, recordingHandler(group, 'svc-a'), 'outside');
    const appliedIds = async () =>
      (
        await pool.query<{ event_id: string }>('SELECT event_id FROM applied WHERE group_name = $1 ORDER BY id', [
          group,
        ])
      ).rows.map((r) => r.event_id);
    const ids = [(await router.publish(channel, 't', { n: 1 })).event_id];
    await expect.poll(appliedIds, { timeout: 10_000 }).toEqual(ids);
    ids.push((await router.publish(channel, 't', { n: 2 })).event_id);
    await expect.poll(appliedIds, { timeout: 10_000 }).toEqual(ids);
    expect(await early('owned')).toBe(1);

    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM consumer_offset WHERE group_name = $1 AND channel = $2 FOR UPDATE', [
        group,
        channel,
      ]);
      const forged = { event_id: randomUUID(), channel, seq: 3, type: 't', source: 'x', ts: Date.now(), data: {} };
      await redis.publish(channel, JSON.stringify(forged));
      await expect.poll(() => early('not_owned'), { timeout: 10_000 }).toBe(1);
      // The real third event commits before any retry could come: a retried forged run would be
      // within the committed head, and applied in its place.
      ids.push((await router.publish(channel, 't', { n: 3 })).event_id);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    await expect.poll(appliedIds, { timeout: 10_000 }).toHaveLength(3);
    expect(await appliedIds()).toEqual(ids);
    expect(await appliedSeqs(pool, group, [channel])).toEqual([[1, 2, 3]]);
    await consumers.pop()!.close(1_000);
    await own.close();
  });

  it("takes the doorbell's message for the very entry the append wrote, and nothing else for it", async () => {
    const channel = `trades:${uniqueName()}`;
    const sub = new Redis(server.url);
    const heard: string[] = [];
    sub.on('message', (_c: string, message: string) => heard.push(message));
    await sub.subscribe(channel);
    const data = { n: 0.1 + 0.2, text: 'ünï "q" \\ \u2028', nested: { list: [1, null, true], big: 1e21 } };
    await router.publish(channel, 'order.placed', data);
    await expect.poll(() => heard.length, { timeout: 10_000 }).toBe(1);
    sub.disconnect();
    const [entry] = await redis.xrange(streamKey(channel), '-', '+');
    const delivery = rungDelivery(channel, heard[0]!);
    expect(delivery).not.toBeNull();
    expect(delivery!.event.data).toEqual(data);
    expect(isEntryOf(entry, delivery!)).toBe(true);
    const other = (change: Partial<RecioEvent>) => ({ ...delivery!, event: { ...delivery!.event, ...change } });
    expect(isEntryOf(entry, other({ data: { ...data, n: 0.3 } }))).toBe(false);
    expect(isEntryOf(entry, other({ event_id: randomUUID() }))).toBe(false);
    expect(isEntryOf(entry, { ...delivery!, id: '2-0' })).toBe(false);
    expect(isEntryOf(undefined, delivery!)).toBe(false);
    // Not an event of this channel: no delivery.
    const message = JSON.parse(heard[0]!) as Record<string, unknown>;
    for (const bad of [
      'ring',
      'null',
      '[]',
      JSON.stringify({ ...message, channel: 'trades:other' }),
      JSON.stringify({ ...message, seq: 1.5 }),
      JSON.stringify({ ...message, seq: 0 }),
      JSON.stringify({ ...message, ts: 'now' }),
      JSON.stringify({ ...message, event_id: undefined }),
    ])
      expect(rungDelivery(channel, bad)).toBeNull();
  });

  it('applies the runs of channels ready at once in one transaction, and a failing one alone', async () => {
    const group = uniqueName('g');
    const prefix = `trades:${uniqueName()}_`;
    const channels = range(1, 12).map((i) => `${prefix}${i}`);
    await router.publishMany(channels.map((channel) => ({ channel, type: 't', data: {} })));
    // A router of its own: what its pool sends is this member's alone.
    const own = await testRouter(db.url, { redis: { url: server.url } });
    const transactions = () => counter(own, 'recio_pg_statements_total', { kind: 'transaction' });
    let refusals = 0;
    // The third channel's third event fails twice, in whichever transaction it is.
    const handler = recordingHandler(
      group,
      'svc-a',
      (seq, channel) => channel === channels[2] && seq === 3 && refusals++ < 2,
    );
    consumers.push(
      await own.consume({
        group,
        consumer: 'svc-a',
        channels: [`${prefix}*`],
        transactions: 1, // one at a time: the channels read while it runs wait, and go together
        sweepIntervalMs: 600_000, // no sweep to wake the refused channel: its retry wakes itself
        handler,
      }),
    );
    await expect.poll(() => appliedSeqs(pool, group, channels), { timeout: 10_000 }).toEqual(channels.map(() => [1]));
    // Every channel's next event in one commit: their doorbells ring at once.
    const before = await transactions();
    await router.publishMany(channels.map((channel) => ({ channel, type: 't', data: {} })));
    await expect
      .poll(() => appliedSeqs(pool, group, channels), { timeout: 10_000 })
      .toEqual(channels.map(() => [1, 2]));
    // Each transaction is BEGIN (with SET LOCAL) and COMMIT: fewer transactions than channels.
    expect(((await transactions()) - before) / 2).toBeLessThan(channels.length);
    await router.publishMany(channels.map((channel) => ({ channel, type: 't', data: {} })));
    await expect
      .poll(() => appliedSeqs(pool, group, channels), { timeout: 10_000 })
      .toEqual(channels.map(() => [1, 2, 3]));
    expect(refusals).toBe(3); // refused twice, then applied once; the others once each
    await consumers.pop()!.close(1_000);
    await own.close();
  });

  it('fills a transaction with the runs of every channel read while the one before ran, up to channelsPerTransaction', async () => {
    const group = uniqueName('g');
    const prefix = `trades:${uniqueName()}_`;
    const channels = range(0, 19).map((i) => `${prefix}${i}`);
    await router.publishMany(channels.map((channel) => ({ channel, type: 't', data: {} })));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    const calls: { channel: string; seq: number; tx: object }[] = [];
    const record = recordingHandler(group, 'svc-a');
    const member = await router.consume({
      group,
      consumer: 'svc-a',
      channels: [`${prefix}*`],
      transactions: 1, // (the default) with channelsPerTransaction 16, the default; concurrency not set
      sweepIntervalMs: 600_000,
      handler: async (event, context) => {
        calls.push({ channel: event.channel, seq: event.seq, tx: context.tx });
        if (event.channel === channels[0] && event.seq === 2) {
          held = true;
          await gate;
        }
        await record(event, context);
      },
    });
    consumers.push(member);
    await expect.poll(() => appliedSeqs(pool, group, channels), { timeout: 10_000 }).toEqual(channels.map(() => [1]));
    // The first channel's next event holds the member's only transaction open...
    await router.publish(channels[0]!, 't', {});
    await until('the first channel in its handler', () => held);
    // ...while every other channel gets one: each is read and waits for the transaction, holding
    // its place among the channels processed at once. 16 places (1 × 16): the one held, and 15
    // waiting; with 8 places only 7 could wait, and the next transaction could hold no more.
    await router.publishMany(channels.slice(1).map((channel) => ({ channel, type: 't', data: {} })));
    await expect.poll(() => member.inFlight, { timeout: 10_000 }).toBe(16);
    release();
    await expect
      .poll(() => appliedSeqs(pool, group, channels), { timeout: 10_000 })
      .toEqual(channels.map(() => [1, 2]));
    const next = calls.find((c) => c.seq === 2 && c.channel !== channels[0])!.tx;
    expect(calls.filter((c) => c.tx === next)).toHaveLength(15);
    await consumers.pop()!.close(1_000);
  });

  it('moves the offsets past runs it does not handle together, within skipDelayMs, and at close', async () => {
    const group = uniqueName('g');
    const prefix = `trades:${uniqueName()}_`;
    const channels = range(1, 3).map((i) => `${prefix}${i}`);
    const own = await testRouter(db.url, { redis: { url: server.url } });
    const statements = (kind: string) => counter(own, 'recio_pg_statements_total', { kind });
    const offsets = async () =>
      (
        await pool.query<{ channel: string; applied_seq: string }>(
          'SELECT channel, applied_seq FROM consumer_offset WHERE group_name = $1 ORDER BY channel',
          [group],
        )
      ).rows.map((r) => Number(r.applied_seq));
    let seen = 0;
    const member = await own.consume({
      group,
      consumer: 'svc-a',
      channels: [`${prefix}*`],
      types: ['wanted'],
      skipDelayMs: 2_000,
      sweepIntervalMs: 600_000,
      handler: async () => void seen++,
    });
    consumers.push(member);
    for (const channel of channels) await router.publish(channel, 'wanted', {});
    await until('the first events applied', async () => seen === 3 && (await offsets()).join() === '1,1,1');
    const before = { queries: await statements('query'), transactions: await statements('transaction') };
    // Nine runs the handler ignores, one at a time: one statement moves the offsets past them all.
    for (let round = 0; round < 3; round++) for (const channel of channels) await router.publish(channel, 'other', {});
    await until('the offsets past them', async () => (await offsets()).join() === '4,4,4');
    expect((await statements('query')) - before.queries).toBeLessThan(9);
    expect((await statements('transaction')) - before.transactions).toBe(0);
    // A handled event right behind a waiting run: its transaction moves the offset past both.
    await router.publish(channels[0]!, 'other', {});
    await router.publish(channels[0]!, 'wanted', {});
    await until('the handled one', async () => seen === 4 && (await offsets())[0] === 6);
    // A run read just before close moves at close, not a sweep later.
    await router.publish(channels[1]!, 'other', {});
    const delivered = async () => {
      const groups = (await redis.xinfo('GROUPS', streamKey(channels[1]!))) as unknown[][];
      return String(groups[0]![groups[0]!.indexOf('last-delivered-id') + 1]);
    };
    await until('the run read', async () => (await delivered()) === '5-0');
    // Acknowledged only once its offset moved: a member that died now would get it back.
    const pending = async () => ((await redis.xpending(streamKey(channels[1]!), group)) as [number])[0];
    expect(await pending()).toBe(1);
    await consumers.pop()!.close(1_000);
    expect(await offsets()).toEqual([6, 5, 4]);
    expect(await pending()).toBe(0);
    await own.close();
  });

  it('moves past the events the handler would apply as nothing (ignores) like types it does not take, each decoded once', async () => {
    const group = uniqueName('g');
    const channel = `trades:${uniqueName()}`;
    const own = await testRouter(db.url, { redis: { url: server.url } });
    const transactions = () => counter(own, 'recio_pg_statements_total', { kind: 'transaction' });
    const offset = async () =>
      Number(
        (
          await pool.query<{ applied_seq: string }>(
            'SELECT applied_seq FROM consumer_offset WHERE group_name = $1 AND channel = $2',
            [group, channel],
          )
        ).rows[0]?.applied_seq ?? -1,
      );
    type Data = { n: number; known?: boolean; boom?: boolean };
    const seen: number[] = [];
    let decodes = 0;
    consumers.push(
      await own.consume<{ seq: number; data: Data }>({
        group,
        consumer: 'svc-a',
        channels: [channel],
        skipDelayMs: 0,
        sweepIntervalMs: 600_000,
        decode: (event) => (decodes++, { seq: event.seq, data: event.data as Data }),
        // What the handler's memory says it has applied already; a throw is "unsure".
        ignores: ({ data }) => {
          if (data.boom) throw new Error('unsure');
          return data.known === true;
        },
        handler: async ({ data }) => void seen.push(data.n),
      }),
    );
    await router.publish(channel, 't', { n: 1 });
    await until('the first applied', async () => seen.length === 1 && (await offset()) === 1);
    const before = await transactions();
    // Runs of ignored events: the offset moves with no transaction and no handler call.
    await router.publish(channel, 't', { n: 2, known: true });
    await router.publish(channel, 't', { n: 3, known: true });
    await until('the offset past them', async () => (await offset()) === 3);
    expect(await transactions()).toBe(before);
    // One run of an ignored event and a handled one: the handler gets the second only.
    await router.publishMany([
      { channel, type: 't', data: { n: 4, known: true } },
      { channel, type: 't', data: { n: 5 } },
    ]);
    // An ignores that throws: the handler decides.
    await router.publish(channel, 't', { n: 6, known: true, boom: true });
    await until('the last applied', async () => (await offset()) === 6);
    expect(seen).toEqual([1, 5, 6]);
    expect(decodes).toBe(6);
    await consumers.pop()!.close(1_000);
    await own.close();
  });

  it("takes over a dead member's entries within about claimIdleMs from Redis alone, the PostgreSQL sweep an hour away", async () => {
    const group = uniqueName('g');
    const channel = `trades:${uniqueName()}`;
    const key = `stream:{${channel}}`;
    await router.publishMany(range(1, 5).map((n) => ({ channel, type: 't', data: { n } })));
    // A member that read everything and died before applying it: its entries sit in the PEL.
    await pool.query('INSERT INTO consumer_offset (group_name, channel, applied_seq) VALUES ($1, $2, 0)', [
      group,
      channel,
    ]);
    await redis.xgroup('CREATE', key, group, '0');
    await redis.xreadgroup('GROUP', group, 'svc-ghost', 'COUNT', 100, 'STREAMS', key, '>');
    await consume({
      group,
      consumer: 'svc-a',
      channels: [channel],
      claimIdleMs: 500,
      sweepIntervalMs: 3_600_000, // one sweep at start (the channel behind once: not stalled), then an hour
      handler: recordingHandler(group, 'svc-a'),
    });
    await expect.poll(() => appliedSeqs(pool, group, [channel]), { timeout: 15_000 }).toEqual([range(1, 5)]);
    expect(await counter(router, 'recio_consumer_claims_total', { group })).toBe(5);
    expect(await counter(router, 'recio_consumer_sweeps_total', { group, kind: 'postgres' })).toBe(1);
    expect(await counter(router, 'recio_consumer_sweeps_total', { group, kind: 'redis' })).toBeGreaterThan(0);
  });

  it('costs PostgreSQL one statement per sweep while idle, and no transaction', async () => {
    // A router of its own: its pool's statement counter sees this member only.
    const own = await testRouter(db.url, { redis: { url: server.url } });
    const group = uniqueName('g');
    const channel = `settings:${uniqueName()}`;
    await own.publish(channel, 's', { n: 1 });
    const member = await own.consume({
      group,
      consumer: 'svc-a',
      channels: [channel, `account:${uniqueName()}_*`],
      sweepIntervalMs: 300,
      claimIdleMs: 200,
      handler: recordingHandler(group, 'svc-a'),
    });
    await expect.poll(() => appliedSeqs(pool, group, [channel])).toEqual([[1]]);
    const statements = (kind: string) => counter(own, 'recio_pg_statements_total', { kind });
    const sweeps = () => counter(own, 'recio_consumer_sweeps_total', { group, kind: 'postgres' });
    const before = { queries: await statements('query'), transaction: await statements('transaction') };
    const sweptBefore = await sweeps();
    await expect.poll(sweeps, { timeout: 10_000 }).toBeGreaterThanOrEqual(sweptBefore + 3);
    await member.close();
    await own.close();
    expect((await statements('query')) - before.queries).toBe((await sweeps()) - sweptBefore);
    expect((await statements('transaction')) - before.transaction).toBe(0);
  });
});

/**
 * Member svc-a of `group` on `channel` alone, through `own` (a router of its own: its own metrics), with
 * no PostgreSQL sweep to speak of.
 */
async function consumeAlone(
  own: EventRouter,
  group: string,
  channel: string,
  handler: ConsumeOptions['handler'],
  effects: ConsumeOptions['effects'] = 'transaction',
): Promise<void> {
  consumers.push(
    await own.consume({
      group,
      consumer: 'svc-a',
      channels: [channel],
      effects,
      sweepIntervalMs: 600_000,
      handler,
    }),
  );
}

async function counter(router: EventRouter, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await router.registry.getSingleMetric(name)?.get();
  const matches = metric?.values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)) ?? [];
  return matches.reduce((sum, v) => sum + v.value, 0);
}
