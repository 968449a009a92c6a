import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { EventRouter } from '../router.js';
import { e2eChannel, rawStreamKey, type E2eConsumerConfig, type E2eReply, type E2eRequest } from './e2e-protocol.js';

// The consumer side of `make bench`'s end-to-end figures, in a process of its own as a service's
// consumer is: started by e2e-bench.ts over IPC (node:child_process fork), never by hand. recio
// mode: one member of one consumer group (router.consume) whose handler does one INSERT of the
// effect in its transaction. raw mode, the floor: XREADGROUP + XACK, one autocommit INSERT of the
// effect per event, no offsets (at-least-once), with the same relaxed commit as recio's handler
// transactions (synchronous_commit off).

const config = JSON.parse(process.argv[2] ?? '{}') as E2eConsumerConfig;
const wallMs = (): number => performance.timeOrigin + performance.now();
const READERS = 8; // the raw floor's parallel readers, each with its own PostgreSQL connection
const EFFECT = {
  name: 'bench-effect',
  text: 'INSERT INTO bench_effect (k, channel, seq) VALUES ($1, $2, $3)',
};

let handled = 0;
let ks: number[] = [];
let startedAt: number[] = [];
/** A consumer under way: how to stop it, and the round trips it has sent so far. */
interface Consuming {
  stop: () => Promise<void>;
  roundTrips: () => Promise<{ pgRoundTrips: number; redisCommands: number }>;
}

const record = (k: number, started: number): void => {
  handled++;
  ks.push(k);
  startedAt.push(started);
};

/** Starts consuming (recio mode). */
async function startRecio(): Promise<Consuming> {
  const router = new EventRouter({
    database: config.databaseUrl,
    redis: config.redis,
    source: 'bench-consumer',
    logger: pino({ level: 'warn' }),
  });
  await router.waitUntilReady({ redisTimeoutMs: 5_000 });
  /** The sum of a metric's samples named `sample` (a histogram's `…_count`, a counter's own name). */
  const total = async (metric: string, sample = metric): Promise<number> => {
    const values = (await router.registry.getSingleMetric(metric)?.get())?.values ?? [];
    return values.reduce(
      (sum, v) => sum + (((v as { metricName?: string }).metricName ?? metric) === sample ? v.value : 0),
      0,
    );
  };
  const member = await router.consume({
    group: 'bench-e2e',
    consumer: `bench-e2e-${process.pid}`,
    channels: [`trades:${config.prefix}E_*`],
    // As the services whose handlers change only rows (trade manager, supervisors): the offset is
    // checked at COMMIT, not locked before the handler. (The trade executor's is locked.)
    effects: 'transaction',
    handler: async (event, { tx }) => {
      const started = wallMs();
      const { k } = event.data as { k: number };
      await tx.query({ ...EFFECT, values: [k, event.channel, event.seq] });
      // Counted once committed: a handler retried after a rollback is not an event handled twice.
      tx.onCommit(() => record(k, started));
    },
  });
  return {
    stop: async () => {
      await member.close();
      await router.close();
    },
    roundTrips: async () => ({
      pgRoundTrips: await total('recio_pg_statements_total'),
      // Every command but blocking reads is timed (redis/instrument.ts); recio's consumer sends none.
      redisCommands: await total('recio_redis_command_seconds', 'recio_redis_command_seconds_count'),
    }),
  };
}

async function startRaw(): Promise<Consuming> {
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: READERS,
    options: '-c synchronous_commit=off',
  });
  const base = 'url' in config.redis ? config.redis.url : 'redis://127.0.0.1:6379';
  const counts = { pgRoundTrips: 0, redisCommands: 0 };
  let running = true;
  const readers = Array.from({ length: READERS }, async (_, w) => {
    const redis = new Redis(base);
    const keys: string[] = [];
    for (let c = w; c < config.channels; c += READERS)
      keys.push(rawStreamKey(e2eChannel(config.prefix, c, config.channels)));
    try {
      while (running) {
        counts.redisCommands++;
        const reply = (await redis.xreadgroup(
          'GROUP',
          'raw',
          `r${w}`,
          'COUNT',
          100,
          'BLOCK',
          100,
          'STREAMS',
          ...keys,
          ...keys.map(() => '>'),
        )) as [string, [string, string[]][]][] | null;
        for (const [key, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            const started = wallMs();
            const k = Number(fields[1]); // fields: k, <k>, data, <json>
            counts.pgRoundTrips++;
            await pool.query({ ...EFFECT, values: [k, key, Number(id.split('-')[0])] });
            record(k, started);
          }
          if (entries.length > 0) {
            counts.redisCommands++;
            await redis.xack(key, 'raw', ...entries.map(([id]) => id));
          }
        }
      }
    } finally {
      redis.disconnect();
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(readers);
      await pool.end();
    },
    roundTrips: async () => ({ ...counts }),
  };
}

async function main(): Promise<void> {
  const consuming = config.mode === 'recio' ? await startRecio() : await startRaw();
  const send = (reply: E2eReply): void => {
    process.send?.(reply);
  };
  let stopping = false;
  process.on('disconnect', () => process.exit(stopping ? 0 : 1)); // else the bench died
  process.on('message', (request: E2eRequest) => {
    void (async () => {
      if (request.cmd === 'stop') {
        stopping = true;
        await consuming.stop();
      }
      const { user, system } = process.cpuUsage();
      const reply: E2eReply = {
        id: request.id,
        handled,
        now: wallMs(),
        cpuMs: (user + system) / 1000,
      };
      // Only when asked: reading the metrics is work in the measured process (count is polled).
      if (request.cmd === 'usage') Object.assign(reply, await consuming.roundTrips());
      if (request.cmd === 'collect') {
        reply.ks = ks;
        reply.startedAt = startedAt;
        ks = [];
        startedAt = [];
      }
      send(reply);
      if (request.cmd === 'stop') process.disconnect();
    })();
  });
  send({ ready: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench consumer (${config.mode}): ${(error as Error).message}\n`);
  process.exit(1);
});
