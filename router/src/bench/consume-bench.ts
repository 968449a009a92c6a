import { streamKey } from '../channels.js';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { EventRouter } from '../router.js';
import { openLoop, summarize } from './stats.js';

/** What the consumption figures need from the bench's set-up. */
export interface ConsumeBenchContext {
  pool: pg.Pool;
  redis: Redis;
  router: EventRouter;
  prefix: string;
  durationMs: number;
  rawInsert: (channel: string, data: object) => Promise<unknown>;
  row: (what: string, raw: number, ours: number, unit: string, digits?: number) => void;
}

const CHANNELS = 100;
const wallMs = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Consumption: max sustained exactly-once throughput of one group, and publish call →
 * handler start latency at 1k and 5k events/s offered, beside the raw floor (INSERT+COMMIT,
 * XADD, XREADGROUP, XACK; no router, no offsets, no transaction on the consumer side).
 */
export async function consumeBench(ctx: ConsumeBenchContext): Promise<void> {
  const { pool, redis, router, prefix } = ctx;

  // 1. Throughput: a backlog of N events on 100 channels, drained by one group.
  const n = 20_000;
  const channels = Array.from({ length: CHANNELS }, (_, i) => `trades:${prefix}T_${i}`);
  for (let i = 0; i < n; i += 1_000) {
    await router.publishMany(
      Array.from({ length: 1_000 }, (_, k) => ({ channel: channels[(i + k) % CHANNELS]!, type: 'x', data: { k } })),
    );
  }
  const rawStart = performance.now();
  let rawRead = 0;
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let c = w; c < CHANNELS; c += 8) {
        const key = streamKey(channels[c]!);
        await redis.xgroup('CREATE', key, 'raw', '0');
        for (;;) {
          const reply = (await redis.xreadgroup('GROUP', 'raw', 'r', 'COUNT', 100, 'STREAMS', key, '>')) as
            [string, [string, string[]][]][] | null;
          const entries = reply?.[0]?.[1] ?? [];
          if (entries.length === 0) break;
          await redis.xack(key, 'raw', ...entries.map(([id]) => id));
          rawRead += entries.length;
        }
      }
    }),
  );
  const rawTput = rawRead / ((performance.now() - rawStart) / 1000);
  const oursStart = performance.now();
  const member = await router.consume({
    group: 'bench-tput',
    consumer: 'bench-1',
    channels: [`trades:${prefix}T_*`],
    handler: async () => undefined,
  });
  for (;;) {
    const { rows } = await pool.query<{ n: string }>(
      `SELECT coalesce(sum(applied_seq), 0) AS n FROM consumer_offset WHERE group_name = 'bench-tput'`,
    );
    if (Number(rows[0]!.n) >= n) break;
    await sleep(20);
  }
  const oursTput = n / ((performance.now() - oursStart) / 1000);
  await member.close();
  ctx.row(
    `consume throughput, one group, backlog of ${n} on ${CHANNELS} channels (events/s)`,
    rawTput,
    oursTput,
    'ev/s',
  );

  // 2. Latency at 1k and 5k events/s offered.
  for (const rate of [1_000, 5_000]) {
    const latChannels = Array.from({ length: CHANNELS }, (_, i) => `positions:${prefix}L${rate}_${i}`);
    // Raw: one reader over all 100 streams (a blocking multi-stream XREADGROUP).
    const keys = latChannels.map((c) => `raw:{${c}}`);
    for (const key of keys) await redis.xgroup('CREATE', key, 'raw', '$', 'MKSTREAM');
    const reader = redis.duplicate();
    const rawLat: number[] = [];
    // Samples of the first second of load are dropped on both sides (connections, JIT and
    // buffers settle then; measured, that second held most of the slowest deliveries).
    const rawSteady = wallMs() + 1_000;
    let reading = true;
    const rawReader = (async () => {
      while (reading) {
        const reply = (await reader.xreadgroup(
          'GROUP',
          'raw',
          'r',
          'COUNT',
          100,
          'BLOCK',
          100,
          'STREAMS',
          ...keys,
          ...keys.map(() => '>'),
        )) as [string, [string, string[]][]][] | null;
        const now = wallMs();
        for (const [key, entries] of reply ?? []) {
          for (const [, fields] of entries) if (Number(fields[1]) >= rawSteady) rawLat.push(now - Number(fields[1]));
          if (entries.length > 0) await reader.xack(key, 'raw', ...entries.map(([id]) => id));
        }
      }
    })();
    await openLoop(rate, ctx.durationMs + 1_000, async (i) => {
      const t0 = wallMs();
      const channel = latChannels[i % CHANNELS]!;
      await ctx.rawInsert(channel, { t0 });
      await redis.xadd(`raw:{${channel}}`, '*', 't0', String(t0));
    });
    await sleep(300);
    reading = false;
    await rawReader;
    reader.disconnect();

    const ourLat: number[] = [];
    let ourSteady = 0;
    const member = await router.consume({
      group: `bench-lat-${rate}`,
      consumer: 'bench-1',
      channels: [`positions:${prefix}L${rate}_*`],
      handler: async (event) => {
        const { t0 } = event.data as { t0: number };
        if (t0 >= ourSteady) ourLat.push(wallMs() - t0);
      },
      ...(process.env.BENCH_CONCURRENCY ? { concurrency: Number(process.env.BENCH_CONCURRENCY) } : {}),
    });
    // Warm up: the member's first pass over its channels (offset rows, group creation) is
    // start-up cost, not delivery latency; the raw floor's groups exist before it is measured too.
    await router.publishMany(latChannels.map((channel) => ({ channel, type: 'tick', data: { t0: wallMs() } })));
    while (ourLat.length < CHANNELS) await sleep(20);
    ourLat.length = 0;
    ourSteady = wallMs() + 1_000;
    await openLoop(rate, ctx.durationMs + 1_000, async (i) => {
      await router.publish(latChannels[i % CHANNELS]!, 'tick', { t0: wallMs() });
    });
    await sleep(300);
    await member.close();
    const r = summarize(rawLat);
    const o = summarize(ourLat);
    ctx.row(`publish call → handler start p50 at ${rate} ev/s (ms)`, r.p50, o.p50, 'ms', 3);
    ctx.row(`publish call → handler start p99 at ${rate} ev/s (ms)`, r.p99, o.p99, 'ms', 3);
  }
}
