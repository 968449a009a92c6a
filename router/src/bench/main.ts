import { streamKey } from '../channels.js';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../cli/config.js';
import { encodeEvent } from '../event-encoding.js';
import { runMigrations } from '../migrate.js';
import { EventRouter } from '../router.js';
import { insertEvents } from '../sql/insert-events.js';
import { consumeBench } from './consume-bench.js';
import { e2eBench } from './e2e-bench.js';
import { sqlBench } from './sql-bench.js';
import { closedLoop, openLoop, summarize } from './stats.js';

// `make bench`: the router's durable publish path beside the raw floor (a plain INSERT with
// its COMMIT, then a plain XADD; no router), and consumption beside XREADGROUP + XACK, all
// measured in the same run on the same servers.
// Not a test: it prints figures and asserts nothing.

const WORKERS = Number(process.env.BENCH_WORKERS ?? 16);
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const CHANNELS = 100;
// One part alone (default: all of them).
const PARTS = ['publish', 'consume', 'e2e', 'sql'] as const;
const ONLY = process.env.BENCH_ONLY;
const runs = (part: (typeof PARTS)[number]): boolean => ONLY === undefined || ONLY === '' || ONLY === part;
const DATA = { symbol: 'BTC-USD', price: 97_123.45, momentum: 0.12, changes: { h1: 0.4, h3: -0.2, d1: 1.3 } };

const config = loadConfig();
const admin = new URL(config.databaseUrl);
const database = `recio_bench_${process.pid}`;

async function main(): Promise<void> {
  if (ONLY && !(PARTS as readonly string[]).includes(ONLY))
    throw new Error(`BENCH_ONLY=${ONLY}: expected one of ${PARTS.join(', ')}`);
  admin.pathname = '/postgres';
  const adminClient = new pg.Client({ connectionString: admin.toString() });
  await adminClient.connect();
  await adminClient.query(`CREATE DATABASE ${database}`);
  const url = new URL(config.databaseUrl);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  const pool = new pg.Pool({ connectionString: databaseUrl, max: WORKERS + 2, idleTimeoutMillis: 120_000 });
  pool.on('error', () => undefined); // connections cut by the final DROP DATABASE
  // The floor's client: plain ioredis (no auto-pipelining, which costs a command sent on its own more CPU).
  const redis = new Redis('url' in config.redis ? config.redis.url : 'redis://127.0.0.1:6379');
  const router = new EventRouter({
    database: pool,
    redis: config.redis,
    source: 'bench',
    logger: pino({ level: 'warn' }),
    poolSize: WORKERS + 2,
    ...(process.env.BENCH_STATEMENTS ? { maxPublishStatements: Number(process.env.BENCH_STATEMENTS) } : {}),
  });
  const prefix = `b${process.pid}x${Date.now().toString(36)}`; // unique across runs: pids are reused
  try {
    await runMigrations({ databaseUrl });
    // To measure a schema change (an index dropped, say) without a migration: SQL run after them.
    if (process.env.BENCH_SETUP_SQL) await pool.query(process.env.BENCH_SETUP_SQL);
    await pool.query(
      `CREATE TABLE bench_raw (event_id uuid PRIMARY KEY, channel text, seq bigint, type text, source text, data json, created_at timestamptz DEFAULT clock_timestamp())`,
    );
    await router.waitUntilReady({ redisTimeoutMs: 5_000 });
    const sync = (await pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]!
      .synchronous_commit;
    const channel = (i: number): string => `positions:${prefix}_${i % CHANNELS}`;
    let rawSeq = 0;
    const rawInsert = (ch: string): Promise<unknown> => {
      const e = encodeEvent(router.channels, 262_144, { channel: ch, type: 'price.tick', data: DATA });
      return pool.query({
        name: 'raw',
        text: 'INSERT INTO bench_raw (event_id, channel, seq, type, source, data) VALUES ($1, $2, $3, $4, $5, $6)',
        values: [e.event_id, ch, ++rawSeq, e.type, 'bench', e.dataText],
      });
    };
    const rawXadd = (ch: string, seq: number): Promise<unknown> =>
      redis.xadd(
        `raw:{${ch}}`,
        'MAXLEN',
        '~',
        '20000',
        '*',
        'event_id',
        'x',
        'type',
        'price.tick',
        'source',
        'bench',
        'ts',
        String(Date.now()),
        'data',
        JSON.stringify({ ...DATA, seq }),
      );

    // Warm up connections, prepared statements and scripts.
    await closedLoop(WORKERS, 500, async (w, i) => {
      await rawInsert(channel(w + i));
      await router.publish(channel(w + i), 'price.tick', DATA);
    });

    const lines: string[] = [];
    const notes: string[] = [];
    const row = (what: string, raw: number, ours: number, unit: string, digits = 0): void => {
      const ratio = raw > 0 ? `${(ours / raw).toFixed(2)}×` : '—';
      lines.push(`| ${what} | ${raw.toFixed(digits)} ${unit} | ${ours.toFixed(digits)} ${unit} | ${ratio} |`);
    };
    let achieved = Number.NaN;

    if (runs('publish')) {
      // 1. Throughput, closed loop, WORKERS concurrent publishers over CHANNELS channels.
      const rawTput = await closedLoop(WORKERS, DURATION_MS, async (w, i) => {
        const ch = channel(w * 1000 + i);
        await rawInsert(ch);
        await rawXadd(ch, i);
      });
      const routerTput = await closedLoop(WORKERS, DURATION_MS, async (w, i) => {
        await router.publish(channel(w * 1000 + i), 'price.tick', DATA);
      });
      row(
        `durable publish throughput, ${WORKERS} publishers, ${CHANNELS} channels (events/s)`,
        rawTput,
        routerTput,
        'ev/s',
      );
      const oneChannel = `positions:${prefix}_single`;
      const rawOne = await closedLoop(WORKERS, DURATION_MS, async (_w, i) => {
        await rawInsert(oneChannel);
        await rawXadd(oneChannel, i);
      });
      const routerOne = await closedLoop(WORKERS, DURATION_MS, async () => {
        await router.publish(oneChannel, 'price.tick', DATA);
      });
      row(`durable publish throughput, ${WORKERS} publishers, 1 channel (events/s)`, rawOne, routerOne, 'ev/s');

      // 2. Latency at RATE events/s offered (open loop): commit → appended, and call → appended.
      // Each path alone at RATE (open loop), in short alternating phases (raw, ours, ours, raw, …)
      // so both see the same drift of the machine (autovacuum, checkpoints); run as two long
      // phases, whichever went second measured up to 2× worse p99s on this machine.
      const rawAppend: number[] = [];
      const rawTotal: number[] = [];
      const ourAppend: number[] = [];
      const ourTotal: number[] = [];
      const phases = 8;
      const phaseMs = DURATION_MS / (phases / 2);
      achieved = 0;
      for (let phase = 0; phase < phases; phase++) {
        const rawTurn = phase % 4 === 0 || phase % 4 === 3;
        const loop = await openLoop(RATE, phaseMs / 2, async (i) => {
          const ch = channel(i);
          const t0 = performance.now();
          if (rawTurn) {
            await rawInsert(ch);
            const t1 = performance.now();
            await rawXadd(ch, i);
            const t2 = performance.now();
            rawAppend.push(t2 - t1);
            rawTotal.push(t2 - t0);
          } else if (i % 2 === 0) {
            // The same steps as EventRouter.publish, timed between commit and append.
            const e = encodeEvent(router.channels, 262_144, { channel: ch, type: 'price.tick', data: DATA });
            const committed = await insertEvents(pool, [e], 'bench');
            const t1 = performance.now();
            await router.propagator.afterCommit(committed, Date.now());
            ourAppend.push(performance.now() - t1);
          } else {
            await router.publish(ch, 'price.tick', DATA);
            ourTotal.push(performance.now() - t0);
          }
        });
        achieved += loop.achieved / phases;
      }
      const ra = summarize(rawAppend);
      const oa = summarize(ourAppend);
      const rt = summarize(rawTotal);
      const ot = summarize(ourTotal);
      row(`commit → appended p50 at ${RATE} ev/s (ms)`, ra.p50, oa.p50, 'ms', 3);
      row(`commit → appended p99 at ${RATE} ev/s (ms)`, ra.p99, oa.p99, 'ms', 3);
      row(`call → appended p50 at ${RATE} ev/s (ms)`, rt.p50, ot.p50, 'ms', 3);
      row(`call → appended p99 at ${RATE} ev/s (ms)`, rt.p99, ot.p99, 'ms', 3);
    }

    if (runs('consume')) {
      await consumeBench({
        pool,
        redis,
        router,
        prefix,
        durationMs: DURATION_MS,
        rawInsert: (ch, data) => {
          const e = encodeEvent(router.channels, 262_144, { channel: ch, type: 'price.tick', data });
          return pool.query({
            name: 'raw',
            text: 'INSERT INTO bench_raw (event_id, channel, seq, type, source, data) VALUES ($1, $2, $3, $4, $5, $6)',
            values: [e.event_id, ch, ++rawSeq, e.type, 'bench', e.dataText],
          });
        },
        row,
      });
    }

    if (runs('e2e')) {
      await e2eBench({
        pool,
        redis,
        router,
        redisConnection: config.redis,
        databaseUrl,
        prefix,
        durationMs: DURATION_MS,
        row,
        note: (text) => notes.push(text),
      });
    }

    if (runs('sql')) {
      await sqlBench({
        pool,
        redis,
        databaseUrl,
        prefix,
        durationMs: DURATION_MS,
        row,
        note: (text) => notes.push(text),
      });
    }

    const out = [
      `recio bench (synchronous_commit=${sync}, ${WORKERS} workers, ${DURATION_MS / 1000} s per figure` +
        (Number.isNaN(achieved) ? ')' : `, publish latency achieved ${achieved.toFixed(0)} ev/s, offered ${RATE})`),
      '',
      '| figure | raw floor (INSERT+COMMIT, XADD[, XREADGROUP+XACK]; end-to-end: outbox) | recio router | ratio |',
      '|---|---|---|---|',
      ...lines,
      ...(notes.length > 0 ? ['', ...notes] : []),
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    // Leave nothing behind in Redis: the bench's streams and the raw floor's.
    const { rows } = await pool
      .query<{ channel: string }>('SELECT channel FROM channel_head')
      .catch(() => ({ rows: [] as { channel: string }[] }));
    const keys = rows.map((r) => streamKey(r.channel));
    for (const pattern of [`raw:{positions:${prefix}*`, `raw:{trades:${prefix}*`])
      keys.push(...(await redis.keys(pattern)));
    for (let i = 0; i < keys.length; i += 1_000) await redis.unlink(...keys.slice(i, i + 1_000));
    await router.close();
    await pool.end();
    redis.disconnect();
    await adminClient.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await adminClient.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
