// `make bench` (third part): commit → browser socket latency through main-app's gateway with 1,000
// and 10,000 connected clients, beside a raw `ws` broadcast (the floor) to the same number of
// clients in the same run, and main-app's memory per idle connection. main-app runs as its own
// process (dist/main.js) on a database and a Redis of its own; the clients run in another
// process (ws-clients.ts), the floor server in a third (ws-floor.ts). Each event is published by
// a router in this process with its `sentAt` in the data, on `prices:btc` (a latest-value channel
// since issue 14: published to Redis only, no commit; the first figures below predate that), at BENCH_WS_RATE events
// a second for BENCH_WS_SECONDS. Redis is a private redis-server (prices:btc is a fixed name: on a
// shared Redis it would meet `make dev`'s stream). Not a test: it prints figures and asserts nothing.
//   node --import tsx e2e/src/bench/ws-fanout.ts   (DATABASE_URL as for make test)
// BENCH_WS_CLIENTS=1000,10000 BENCH_WS_RATE=10 BENCH_WS_SECONDS=5; BENCH_WS_PROFILE=<dir> writes main-app's CPU profile there.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, startPrivateRedis, testRouter } from '@recio/test-support';
import { benchDatabase } from './bench-database.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const RATE = Number(process.env.BENCH_WS_RATE ?? 10);
const SECONDS = Number(process.env.BENCH_WS_SECONDS ?? 5);
const CLIENTS = (process.env.BENCH_WS_CLIENTS ?? '1000,10000').split(',').map(Number);
const CHANNEL = 'prices:btc';
/** The published prices' versions (their seqs): increasing, from the clock. */
let version = Date.now();

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Report {
  frames: number;
  p50: number;
  p99: number;
  max: number;
  closedEarly: number;
  /** Error frames the clients got, by frame. */
  errors: Record<string, number>;
}

/** Resolves with the next IPC message of `child` whose op is `op`. */
function next<T>(child: ChildProcess, op: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { op: string }) => {
      if (m.op !== op) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before ${op}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

const tsx = (file: string) => fork(join(import.meta.dirname, file), [], { execArgv: ['--import', 'tsx'] });

/** Resident memory of a process, KiB. */
function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
}

/** Connects `n` clients, runs `send` RATE times a second for SECONDS, and returns what the clients measured. */
async function measure(
  connect: { url: string; headers: Record<string, string>; subscribe?: unknown },
  n: number,
  send: () => Promise<void>,
  server: number,
): Promise<Report & { kibPerConnection: number }> {
  const clients = tsx('ws-clients.ts');
  try {
    await sleep(500);
    const before = rssKiB(server);
    clients.send({ op: 'connect', n, ...connect });
    await next(clients, 'connected');
    await sleep(2_000); // idle, settled
    const kibPerConnection = (rssKiB(server) - before) / n;
    const start = performance.now();
    for (let i = 0; i < RATE * SECONDS; i++) {
      const due = start + (i * 1000) / RATE;
      if (due > performance.now()) await sleep(due - performance.now());
      await send();
    }
    await sleep(3_000); // the last frames reach the slowest socket
    const report = next<Report>(clients, 'report');
    clients.send({ op: 'report' });
    return { ...(await report), kibPerConnection };
  } finally {
    if (clients.exitCode === null) clients.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const redis = await startPrivateRedis();
  const redisUrl = redis.url;
  const database = await benchDatabase('recio_wsbench');
  const dir = mkdtempSync(join(tmpdir(), 'recio-wsbench-'));
  const token = randomBytes(32).toString('hex');
  const tokensFile = join(dir, 'tokens.json');
  writeFileSync(
    tokensFile,
    JSON.stringify([{ user_id: 'bench_user', token_sha256: createHash('sha256').update(token).digest('hex') }]),
  );
  const port = await freePort();
  const app = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_WS_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_WS_PROFILE}`] : []),
      join(ROOT, 'services', 'main-app', 'dist', 'main.js'),
    ],
    {
      env: {
        ...process.env,
        PORT: String(port),
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        POD_NAME: 'main-app-bench',
        API_TOKENS_FILE: tokensFile,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const floor = tsx('ws-floor.ts');
  const publisher = await testRouter(database.url, { redis: { url: redisUrl } });
  try {
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (app.exitCode !== null) throw new Error(`main-app exited (${app.exitCode})`);
      await sleep(200);
    }
    const { port: floorPort } = await next<{ port: number }>(floor, 'listening');
    console.log(
      `\nWebSocket fan-out: ${RATE} events/s for ${SECONDS} s on ${CHANNEL}; latency from just before the commit (gateway) or the broadcast call (floor) to the frame read by a client in another process.`,
    );
    console.log(
      `  ${'clients'.padStart(7)} ${'path'.padEnd(8)} ${'frames'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'KiB/conn'.padStart(9)} ${'dropped'.padStart(8)}`,
    );
    const row = (n: number, path: string, r: Report & { kibPerConnection: number }) =>
      console.log(
        `  ${String(n).padStart(7)} ${path.padEnd(8)} ${String(r.frames).padStart(8)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${r.max.toFixed(1).padStart(8)} ${r.kibPerConnection.toFixed(1).padStart(9)} ${String(r.closedEarly).padStart(8)}`,
      );
    for (const n of CLIENTS) {
      const raw = await measure(
        { url: `ws://127.0.0.1:${floorPort}`, headers: {} },
        n,
        async () => {
          floor.send({ op: 'broadcast', sentAt: now() });
        },
        floor.pid!,
      );
      row(n, 'floor', raw);
      const gateway = await measure(
        {
          url: `ws://127.0.0.1:${port}/ws`,
          headers: { authorization: `Bearer ${token}` },
          subscribe: { op: 'subscribe', channel: CHANNEL },
        },
        n,
        async () => {
          await publisher.publishLatest(CHANNEL, 'bench.tick', { sentAt: now() }, ++version);
        },
        app.pid!,
      );
      row(n, 'gateway', gateway);
      if (Object.keys(gateway.errors).length > 0) console.log('  errors:', gateway.errors);
      console.log(
        `  ${''.padStart(7)} ${'ratio'.padEnd(8)} ${''.padStart(8)} ${(gateway.p50 / raw.p50).toFixed(2).padStart(8)} ${(gateway.p99 / raw.p99).toFixed(2).padStart(8)}`,
      );
    }
  } finally {
    await publisher.close();
    floor.kill('SIGKILL');
    if (app.exitCode === null) {
      app.kill('SIGTERM');
      await new Promise((r) => app.once('exit', r));
    }
    await database.drop();
    await redis.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
