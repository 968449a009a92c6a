import { startRedisServer, type RedisServerHandle } from '@recio/topology';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { streamKey } from '../channels.js';
import type { EventRouter } from '../router.js';
import { createAppliedLog, range, recordingHandler } from '../../test/support/applied-log.js';
import { createTestDatabase, uniqueName, until, type TestDatabase } from '@recio/test-support';
import { testRouter } from '../../test/support/routers.js';

// Invariant 10 at scale: a pattern matching 10,000 channels costs nothing while idle (the
// doorbell, not a read loop over every stream), and a new event is read from its stream alone.

let db: TestDatabase;
let pool: pg.Pool;
let server: RedisServerHandle;
let router: EventRouter;
let stats: Redis;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  await createAppliedLog(pool);
  server = await startRedisServer({ config: { appendonly: false, save: [] } }); // its own command statistics
  router = await testRouter(db.url, { redis: { url: server.url }, poolSize: 12 });
  stats = new Redis(server.url);
});

afterAll(async () => {
  stats.disconnect();
  await router.close();
  await server.close();
  await pool.end();
  await db.drop();
});

async function calls(command: string): Promise<number> {
  const info = await stats.info('commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

async function appliedCount(group: string): Promise<number> {
  return Number((await pool.query('SELECT count(*) AS n FROM applied WHERE group_name = $1', [group])).rows[0].n);
}

it('consumes 10,000 channels of one pattern without polling them', async () => {
  const prefix = uniqueName('w');
  const channels = range(1, 10_000).map((i) => `positions:${prefix}_${i}`);
  for (let i = 0; i < channels.length; i += 2_000) {
    await router.publishMany(
      channels.slice(i, i + 2_000).map((channel) => ({ channel, type: 'tick', data: { p: 1 } })),
    );
  }
  const group = uniqueName('g');
  const member = await router.consume({
    group,
    consumer: 'svc-a',
    channels: [`positions:${prefix}_*`],
    handler: recordingHandler(group, 'svc-a'),
    sweepIntervalMs: 500,
  });
  expect(member.channels).toHaveLength(10_000);
  await expect.poll(() => appliedCount(group), { timeout: 90_000, interval: 500 }).toBe(10_000);

  // Idle: no reads at all, whatever the number of channels. First the last batches must have
  // been acknowledged (on a loaded machine that takes a moment after their effects committed):
  // the group's PEL is empty on every stream.
  await until(
    'every entry acknowledged',
    async () => {
      const pending = stats.pipeline();
      for (const channel of channels) pending.xpending(streamKey(channel), group);
      const replies = (await pending.exec()) ?? [];
      return replies.every(([err, reply]) => err === null && Number((reply as [number])[0]) === 0);
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  // Then a window of 1.5 s (three sweeps) passes without one XREADGROUP; a consumer that polled
  // would never get there. Idleness is a property of a stretch of time, so this window is a real
  // wall-clock wait. It is retried because a sweep that queried just before the last commits may
  // still wake a few channels for one read each; from the next sweep on there is nothing to read.
  await expect
    .poll(
      async () => {
        await stats.config('RESETSTAT');
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        return calls('xreadgroup');
      },
      { timeout: 60_000, interval: 0 },
    )
    .toBe(0);

  // New events on three channels are read from those three streams.
  await stats.config('RESETSTAT');
  for (const channel of [channels[17]!, channels[5_000]!, channels[9_999]!])
    await router.publish(channel, 'tick', { p: 2 });
  await expect.poll(() => appliedCount(group), { timeout: 10_000 }).toBe(10_003);
  expect(await calls('xreadgroup')).toBeLessThanOrEqual(12);
  await member.close();
});
