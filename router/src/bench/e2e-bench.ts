import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { RedisConnection } from '../redis/connection.js';
import type { EventRouter } from '../router.js';
import { ConsumerProcess } from './e2e-child.js';
import { serverCpu, type ServerCpu } from './server-cpu.js';
import { e2eChannel, rawStreamKey, type E2eMode } from './e2e-protocol.js';
import { openLoop, summarize } from './stats.js';

/** What the end-to-end figures need from the bench's set-up. */
export interface E2eBenchContext {
  pool: pg.Pool;
  redis: Redis;
  router: EventRouter;
  redisConnection: RedisConnection;
  databaseUrl: string;
  prefix: string;
  durationMs: number;
  row: (what: string, raw: number, ours: number, unit: string, digits?: number) => void;
  note: (text: string) => void;
}

const CHANNELS = 100;
const PRODUCERS = 8;
const BACKLOG_RATE = 1_000;
/** A rate at which nothing queues: commit → handler start is the path's own length. */
const UNLOADED_RATE = 100;
/** Samples of the first second of each phase are dropped (connections, JIT and buffers settle). */
const SETTLE_MS = 1_000;
const DRAIN_TIMEOUT_MS = 120_000;
const DATA = { symbol: 'BTC-USD', side: 'yes', qty: 3, price: 0.42 };
const wallMs = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Phases alternate raw, recio, recio, raw, … so both see the same drift of the machine. */
export const order = (phases: number): E2eMode[] =>
  Array.from({ length: phases }, (_, i) => (i % 4 === 0 || i % 4 === 3 ? 'raw' : 'recio'));

/**
 * The path the services take, end to end, beside a raw outbox. Producers (this process) commit a
 * business row and an event in one transaction: recio with router.transaction + tx.publish; the
 * floor with BEGIN; INSERT business row; INSERT outbox row; COMMIT; XADD. One consumer in another
 * process applies each event with one INSERT of its effect: recio exactly once (router.consume,
 * offsets), the floor with XREADGROUP + XACK (at least once, no offsets). Figures: handled events/s
 * under 8 closed-loop producers; producers alone; commit → handler start at half the floor's
 * end-to-end capacity (open loop); the backlog after a run at 1,000 ev/s.
 */
export async function e2eBench(ctx: E2eBenchContext): Promise<void> {
  const { pool, redis, router, prefix } = ctx;
  await pool.query(`CREATE TABLE bench_order (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, k bigint NOT NULL,
    channel text NOT NULL, qty integer NOT NULL, price numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  await pool.query(`CREATE TABLE bench_outbox (event_id uuid PRIMARY KEY, channel text NOT NULL, type text NOT NULL,
    data json NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  await pool.query(`CREATE TABLE bench_effect (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, k bigint NOT NULL,
    channel text NOT NULL, seq bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  for (let c = 0; c < CHANNELS; c++) {
    await redis.xgroup('CREATE', rawStreamKey(e2eChannel(prefix, c, CHANNELS)), 'raw', '$', 'MKSTREAM');
  }

  // Commit time of event k (this process's clock, taken right after COMMIT); events are numbered
  // across both paths so the consumers' reports join back to them.
  const committedAt: number[] = [];
  let nextK = 0;
  const produced = { raw: 0, recio: 0 };
  const businessRow = (k: number, channel: string): pg.QueryConfig => ({
    name: 'bench-order',
    text: 'INSERT INTO bench_order (k, channel, qty, price) VALUES ($1, $2, $3, $4)',
    values: [k, channel, DATA.qty, DATA.price],
  });
  const produce: Record<E2eMode, (channel: (k: number) => string) => Promise<void>> = {
    raw: async (channel) => {
      const k = nextK++;
      const ch = channel(k);
      const dataText = JSON.stringify({ k, ...DATA });
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(businessRow(k, ch));
        await client.query({
          name: 'bench-outbox',
          text: 'INSERT INTO bench_outbox (event_id, channel, type, data) VALUES ($1, $2, $3, $4)',
          values: [randomUUID(), ch, 'order.placed', dataText],
        });
        await client.query('COMMIT');
        committedAt[k] = wallMs();
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
      await redis.xadd(rawStreamKey(ch), 'MAXLEN', '~', '20000', '*', 'k', String(k), 'data', dataText);
    },
    recio: async (channel) => {
      const k = nextK++;
      const ch = channel(k);
      await router.transaction(async (tx) => {
        await tx.query(businessRow(k, ch));
        tx.publish(ch, 'order.placed', { k, ...DATA });
        tx.onCommit(() => (committedAt[k] = wallMs()));
      });
    },
  };
  const consumed = (k: number): string => e2eChannel(prefix, k, CHANNELS);
  const alone = (k: number): string => `trades:${prefix}P_${k % CHANNELS}`; // no consumer listens

  const consumers: Partial<Record<E2eMode, ConsumerProcess>> = {};
  try {
    for (const mode of ['raw', 'recio'] as const) {
      consumers[mode] = await ConsumerProcess.start({
        mode,
        databaseUrl: ctx.databaseUrl,
        redis: ctx.redisConnection,
        prefix,
        channels: CHANNELS,
      });
    }
    const consumer = (mode: E2eMode): ConsumerProcess => consumers[mode]!;
    const drain = async (mode: E2eMode): Promise<void> => {
      await consumer(mode).waitFor(produced[mode], DRAIN_TIMEOUT_MS);
      await consumer(mode).collect(); // nothing kept from a phase that measures no latency
    };

    /** 8 producers in a closed loop for SETTLE_MS + ms: committed and handled events/s after SETTLE_MS. */
    const closedPhase = async (
      mode: E2eMode,
      ms: number,
      channel: (k: number) => string,
    ): Promise<{
      committed: number;
      handled: number;
      producerCpuUs: number;
      consumerCpuUs: number;
      consumerPg: number;
      consumerRedis: number;
      /** The servers' CPU per event (µs; per handled event when a consumer listens, else per committed one). */
      postgresCpuUs: number;
      redisCpuUs: number;
      /** The whole machine's busy CPU per event (µs), kernel included; NaN where it cannot be read. */
      machineCpuUs: number;
      /** TCP segments sent on the machine per event (all loopback here); NaN where it cannot be read. */
      tcpSegments: number;
    }> => {
      const toConsumer = channel === consumed;
      let running = true;
      let committed = 0;
      let counting = false;
      const producers = Array.from({ length: PRODUCERS }, async () => {
        while (running) {
          await produce[mode](channel);
          if (toConsumer) produced[mode]++;
          if (counting) committed++;
        }
      });
      await sleep(SETTLE_MS);
      const s0 = await serverCpu(redis, ctx.databaseUrl);
      const u0 = await consumer(mode).usage();
      const p0 = process.cpuUsage();
      const t0 = performance.now();
      counting = true;
      await sleep(ms);
      const u1 = await consumer(mode).usage();
      const p1 = process.cpuUsage(p0);
      const s1 = await serverCpu(redis, ctx.databaseUrl);
      counting = false;
      const seconds = (performance.now() - t0) / 1000;
      running = false;
      await Promise.all(producers);
      await drain(mode);
      const events = toConsumer ? u1.handled - u0.handled : committed;
      const perEvent = (server: keyof ServerCpu, scale = 1000): number =>
        s0[server] === null || s1[server] === null ? Number.NaN : ((s1[server] - s0[server]) * scale) / events;
      return {
        committed: committed / seconds,
        handled: (u1.handled - u0.handled) / seconds,
        // CPU per event is what a shared machine's load does not change (time is what it does).
        producerCpuUs: (p1.user + p1.system) / committed,
        consumerCpuUs: ((u1.cpuMs - u0.cpuMs) * 1000) / (u1.handled - u0.handled),
        // What the consumer sends per event: the I/O operations are what an event costs (docs/performance.md).
        consumerPg: (u1.pgRoundTrips - u0.pgRoundTrips) / (u1.handled - u0.handled),
        consumerRedis: (u1.redisCommands - u0.redisCommands) / (u1.handled - u0.handled),
        postgresCpuUs: perEvent('postgresMs'),
        redisCpuUs: perEvent('redisMs'),
        machineCpuUs: perEvent('machineMs'),
        tcpSegments: perEvent('tcpSegments', 1),
      };
    };

    /** Open loop at `rate` for SETTLE_MS + ms: commit → handler start of the events committed after SETTLE_MS. */
    const openPhase = async (
      mode: E2eMode,
      rate: number,
      ms: number,
    ): Promise<{ lags: number[]; backlog: number; backlogEachSecond: number[]; committedPerSecond: number }> => {
      const first = nextK;
      const start = wallMs();
      const backlogEachSecond: number[] = [];
      let sampling = true;
      const sampler = (async () => {
        for (let next = performance.now() + 1_000; ; next += 1_000) {
          await sleep(next - performance.now());
          if (!sampling) return;
          // (A handler may start before its producer's XADD or append call returns: never below 0.)
          backlogEachSecond.push(Math.max(0, produced[mode] - (await consumer(mode).handled())));
        }
      })();
      await openLoop(rate, SETTLE_MS + ms, async () => {
        await produce[mode](consumed);
        produced[mode]++;
      });
      // (Taken before the sampler's last sleep, which would add up to a second.)
      const committedPerSecond = (nextK - first) / ((wallMs() - start) / 1000);
      sampling = false;
      await sampler;
      const backlog = Math.max(0, produced[mode] - (await consumer(mode).handled()));
      const last = nextK;
      await consumer(mode).waitFor(produced[mode], DRAIN_TIMEOUT_MS);
      const started = await consumer(mode).collect();
      const lags: number[] = [];
      for (let k = first; k < last; k++) {
        const at = started.get(k);
        if (at !== undefined && committedAt[k]! >= start + SETTLE_MS) lags.push(at - committedAt[k]!);
      }
      return { lags, backlog, backlogEachSecond, committedPerSecond };
    };

    // Warm-up: connections, prepared statements, scripts, both consumers' first pass over their
    // channels (recio's group and offset rows, its pattern subscription learning the channels).
    for (const mode of ['raw', 'recio'] as const) {
      await closedPhase(mode, 1_000, consumed);
      await closedPhase(mode, 200, alone);
    }

    /**
     * The servers' CPU per event of a closed run (PostgreSQL's only when it runs on this machine), the
     * Node processes' and the servers' together, and the whole machine's busy time (what bounds a
     * 2-core machine: it also holds the kernel's network work, which no process is charged with).
     */
    const serverRows = (run: string, per: string, t: Record<E2eMode, Throughput>): void => {
      const postgres = !Number.isNaN(mean(t.recio.postgresCpu));
      if (postgres)
        ctx.row(
          `${run}: PostgreSQL CPU per ${per} event, all its processes (µs)`,
          mean(t.raw.postgresCpu),
          mean(t.recio.postgresCpu),
          'µs',
        );
      ctx.row(`${run}: Redis CPU per ${per} event (µs)`, mean(t.raw.redisCpu), mean(t.recio.redisCpu), 'µs');
      if (!postgres) return;
      const machine = (m: E2eMode): number =>
        (['producerCpu', 'consumerCpu', 'postgresCpu', 'redisCpu'] as const)
          .filter((part) => t[m][part].length > 0)
          .reduce((sum, part) => sum + mean(t[m][part]), 0);
      ctx.row(
        `${run}: CPU per ${per} event, the Node processes and both servers (µs)`,
        machine('raw'),
        machine('recio'),
        'µs',
      );
      if (!Number.isNaN(mean(t.recio.machineCpu)))
        ctx.row(
          `${run}: the machine's busy CPU per ${per} event, kernel included (/proc/stat, µs)`,
          mean(t.raw.machineCpu),
          mean(t.recio.machineCpu),
          'µs',
        );
      if (!Number.isNaN(mean(t.recio.tcpSegments)))
        ctx.row(
          `${run}: TCP segments sent on the machine per ${per} event, each received on loopback too (/proc/net/snmp)`,
          mean(t.raw.tcpSegments),
          mean(t.recio.tcpSegments),
          'segments',
          1,
        );
    };

    // 1. Handled events/s, 8 closed-loop producers.
    type Throughput = Record<
      | 'committed'
      | 'handled'
      | 'producerCpu'
      | 'consumerCpu'
      | 'consumerPg'
      | 'consumerRedis'
      | 'postgresCpu'
      | 'redisCpu'
      | 'machineCpu'
      | 'tcpSegments',
      number[]
    >;
    const empty = (): Throughput => ({
      committed: [],
      handled: [],
      producerCpu: [],
      consumerCpu: [],
      consumerPg: [],
      consumerRedis: [],
      postgresCpu: [],
      redisCpu: [],
      machineCpu: [],
      tcpSegments: [],
    });
    /** Four closed runs, alternating: what each measured (the consumer's figures only when it listens). */
    const closedRuns = async (channel: (k: number) => string): Promise<Record<E2eMode, Throughput>> => {
      const runs: Record<E2eMode, Throughput> = { raw: empty(), recio: empty() };
      for (const mode of order(4)) {
        const r = await closedPhase(mode, ctx.durationMs / 2, channel);
        const into = runs[mode];
        into.committed.push(r.committed);
        into.producerCpu.push(r.producerCpuUs);
        into.postgresCpu.push(r.postgresCpuUs);
        into.redisCpu.push(r.redisCpuUs);
        into.machineCpu.push(r.machineCpuUs);
        into.tcpSegments.push(r.tcpSegments);
        if (channel !== consumed) continue;
        into.handled.push(r.handled);
        into.consumerCpu.push(r.consumerCpuUs);
        into.consumerPg.push(r.consumerPg);
        into.consumerRedis.push(r.consumerRedis);
      }
      return runs;
    };
    /** Each phase's rate, in the order run: how far the machine moved within the run (docs/performance.md). */
    const phases = (what: string, t: Record<E2eMode, Throughput>, figure: 'handled' | 'committed'): void => {
      const next = { raw: 0, recio: 0 };
      const rates = order(4).map((m) => `${m} ${t[m][figure][next[m]++]!.toFixed(0)}`);
      ctx.note(`${what}, each phase in the order run (${figure} ev/s): ${rates.join(', ')}.`);
    };
    const tput = await closedRuns(consumed);
    phases('End to end', tput, 'handled');
    const floorCapacity = mean(tput.raw.handled);
    ctx.row(
      `end-to-end handled, ${PRODUCERS} producers in business transactions, ${CHANNELS} channels, consumer in another process (events/s)`,
      floorCapacity,
      mean(tput.recio.handled),
      'ev/s',
    );
    ctx.row(
      `end-to-end run above: committed by the producers (events/s)`,
      mean(tput.raw.committed),
      mean(tput.recio.committed),
      'ev/s',
    );

    ctx.row(
      `end-to-end run above: producer process CPU per committed event (µs)`,
      mean(tput.raw.producerCpu),
      mean(tput.recio.producerCpu),
      'µs',
    );
    ctx.row(
      `end-to-end run above: consumer process CPU per handled event (µs)`,
      mean(tput.raw.consumerCpu),
      mean(tput.recio.consumerCpu),
      'µs',
    );
    ctx.row(
      `end-to-end run above: consumer's PostgreSQL round trips per handled event`,
      mean(tput.raw.consumerPg),
      mean(tput.recio.consumerPg),
      'round trips',
      2,
    );
    ctx.row(
      `end-to-end run above: consumer's Redis commands per handled event (pub/sub messages received not counted)`,
      mean(tput.raw.consumerRedis),
      mean(tput.recio.consumerRedis),
      'commands',
      2,
    );

    // Where an event's CPU goes on the whole machine: the two Node processes above, and the servers.
    serverRows('end-to-end run above', 'handled', tput);

    // 2. Producers alone (channels no consumer reads).
    const aloneTput = await closedRuns(alone);
    phases('Publish alone', aloneTput, 'committed');
    ctx.row(
      `publish alone: ${PRODUCERS} producers in business transactions, ${CHANNELS} channels (events/s)`,
      mean(aloneTput.raw.committed),
      mean(aloneTput.recio.committed),
      'ev/s',
    );
    ctx.row(
      `publish alone: producer process CPU per committed event (µs)`,
      mean(aloneTput.raw.producerCpu),
      mean(aloneTput.recio.producerCpu),
      'µs',
    );
    serverRows('publish alone', 'committed', aloneTput);

    // 3. Commit → handler start at half the floor's end-to-end capacity, open loop.
    const rate = Math.max(100, Math.round(floorCapacity / 2 / 100) * 100);
    /** Open-loop phases at `rate`, alternating: each side's commit → handler start, as p50 and p99 rows. */
    const latencyRows = async (rate: number, phaseCount: number, ms: number, label: string) => {
      const lags: Record<E2eMode, number[]> = { raw: [], recio: [] };
      for (const mode of order(phaseCount)) lags[mode].push(...(await openPhase(mode, rate, ms)).lags);
      const raw = summarize(lags.raw);
      const ours = summarize(lags.recio);
      ctx.row(`commit → handler start p50 at ${rate} ev/s, ${label} (ms)`, raw.p50, ours.p50, 'ms', 3);
      ctx.row(`commit → handler start p99 at ${rate} ev/s, ${label} (ms)`, raw.p99, ours.p99, 'ms', 3);
      return { raw, ours };
    };
    const half = await latencyRows(rate, 8, ctx.durationMs / 4, "half the floor's capacity");
    // 3b. The same unloaded: what the path itself costs, without the queueing of the rate above.
    const unloaded = await latencyRows(UNLOADED_RATE, 4, ctx.durationMs / 2, 'unloaded');

    // 4. 1,000 ev/s: does a backlog build up? (What is left unhandled when the producers stop.)
    const backlog: Record<E2eMode, number> = { raw: 0, recio: 0 };
    const slow: Record<E2eMode, number[]> = { raw: [], recio: [] };
    for (const mode of ['raw', 'recio'] as const) {
      const r = await openPhase(mode, BACKLOG_RATE, ctx.durationMs);
      backlog[mode] = r.backlog;
      slow[mode] = r.lags;
      ctx.note(
        `${mode} at ${BACKLOG_RATE} ev/s offered: producers committed ${r.committedPerSecond.toFixed(0)} ev/s; ` +
          `backlog each second ${r.backlogEachSecond.join(', ')} events.`,
      );
    }
    const rawSlow = summarize(slow.raw);
    const oursSlow = summarize(slow.recio);
    ctx.row(`commit → handler start p50 at ${BACKLOG_RATE} ev/s (ms)`, rawSlow.p50, oursSlow.p50, 'ms', 3);
    ctx.row(`commit → handler start p99 at ${BACKLOG_RATE} ev/s (ms)`, rawSlow.p99, oursSlow.p99, 'ms', 3);
    ctx.row(
      `backlog when ${(ctx.durationMs / 1000 + 1).toFixed(0)} s at ${BACKLOG_RATE} ev/s end (events)`,
      backlog.raw,
      backlog.recio,
      'events',
    );
    ctx.note(
      `End-to-end: consumers in child processes (clock offsets ${consumer('raw').clockOffsetMs.toFixed(3)} / ` +
        `${consumer('recio').clockOffsetMs.toFixed(3)} ms, corrected); latency samples ${half.raw.n} raw / ${half.ours.n} recio ` +
        `at ${rate} ev/s, ${unloaded.raw.n} / ${unloaded.ours.n} at ${UNLOADED_RATE} ev/s, ${rawSlow.n} / ${oursSlow.n} at ${BACKLOG_RATE} ev/s.`,
    );
  } finally {
    for (const c of Object.values(consumers)) await c.stop();
  }
}
