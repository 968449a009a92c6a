import { entryId } from '@recio/contract';
import { streamKey } from '@recio/router';
import { Redis } from 'ioredis';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createTestDatabase } from '@recio/test-support';
import { startPostgres } from '@recio/topology';
import pg from 'pg';
import { outcomeOf, type Outcome } from './outcome.js';
import { PlatformRun, type RunDatabase, type RunOptions } from './platform-run.js';

// A whole simulated day on the paper world, driven in lock step: each step moves the world one
// tick (60 simulated seconds) and waits until the platform has done everything the tick caused.
// The world is seeded, so the day is the same in every run: a day run under a fault (faults.ts)
// must end with the same trades, positions and balances as the undisturbed one.

/** Simulated hours of the day (E2E_HOURS shortens it for a quick look). */
export const HOURS = Number(process.env.E2E_HOURS ?? 24);
const START = Date.parse('2026-03-10T13:00:00Z');
/** Steps after the last disturbed one, past the last close and its settlement, with nothing disturbed. */
const CALM_STEPS_AT_THE_END = 5;
export const LOG_DIR = resolve(import.meta.dirname, '..', '..', '..', '.recio', 'e2e');
mkdirSync(LOG_DIR, { recursive: true });

/** A day's name as a file name (`Redis down 30 s` → `redis-down-30-s`). */
const fileName = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** How each day is set up: the same world, users and settings; `name` names its log files. */
export function dayOptions(name: string, overrides: Partial<RunOptions> = {}): RunOptions {
  return {
    seed: 'e2e-day-1',
    startMs: START,
    tickSeconds: 60,
    // A 1.5% drop over two minutes late in the third hour: open YES trades lose their edge and are stopped.
    shocks: [{ atMs: (2 * 3600 + 40 * 60) * 1000, pct: -1.5, overSeconds: 120 }],
    users: [
      {
        id: 'user_0001',
        settings: {
          autoEntry: { enabled: true, minProbability: 90, minDifferential: 0 },
          autoStop: { verificationEnabled: true },
        },
      },
      {
        id: 'user_0002',
        settings: {
          autoEntry: { enabled: true, minProbability: 85, minDifferential: -1, positionSize: 2 },
          autoStop: { stopProbability: 50 },
        },
      },
    ],
    balanceCents: 1_000_000,
    portOffset: 20_000,
    logFile: join(LOG_DIR, `${fileName(name)}.log`),
    database: () => createTestDatabase({ redisUrl: null }),
    ...overrides,
  };
}

/** One occurrence of a fault: what was done, when it ended (wall ms), and when the platform had recovered. */
export interface FaultInstance {
  what: string;
  endedAt: number;
  recoveredAt?: number;
}

/** What a fault does to a running day; every hook may record instances in `log`. */
export interface Disturbance {
  name: string;
  /** What the run needs for this fault (its own Redis mode, its own PostgreSQL server). */
  run?: Pick<RunOptions, 'redis'> & { privatePostgres?: boolean };
  /** Acts on a wall-clock timer, every `every` ms from the start of the day. */
  periodic?: { every: number; act(run: PlatformRun, n: number, log: FaultLog): Promise<void> };
  /** Acts once, just before the day's step number `atStep`; may leave something to end on a timer. */
  once?: { atStep: number; act(run: PlatformRun, log: FaultLog): Promise<void> };
  /** Looks after each step (the platform at rest) for instances that have ended since. */
  afterStep?(run: PlatformRun, log: FaultLog): Promise<void>;
  /** After the last disturbed step: undo whatever is still in effect, before the calm final steps. */
  end?(run: PlatformRun): Promise<void>;
}

/** The instances of one day's fault, in order. */
export class FaultLog {
  readonly instances: FaultInstance[] = [];

  /** A fault that has ended (a process killed, a server back, an exchange's faulted answer sent), now or `at`. */
  ended(what: string, at = Date.now()): void {
    this.instances.push({ what, endedAt: at });
  }

  /** The platform is at rest with every process up: each instance that had ended has recovered. */
  recovered(): void {
    const now = Date.now();
    for (const i of this.instances) if (i.recoveredAt === undefined && i.endedAt <= now) i.recoveredAt = now;
  }

  get pending(): boolean {
    return this.instances.some((i) => i.recoveredAt === undefined);
  }
}

/** The end of a day, and what its fault did. */
export interface DayResult {
  name: string;
  run: PlatformRun;
  outcome: Outcome;
  faults: FaultInstance[];
  aclDenials: string[];
  /** Channels whose Redis stream does not end at PostgreSQL's head, and channels with a gap in event_log. */
  unconverged: string[];
}

/** Runs the day, disturbed or not, and reads its end state. The caller closes `run`. */
export async function runDay(
  name: string,
  runs: PlatformRun[],
  disturbance?: Disturbance,
  overrides: Partial<RunOptions> = {},
): Promise<DayResult> {
  const database = disturbance?.run?.privatePostgres ? { database: privateDatabase } : {};
  const redis = disturbance?.run?.redis ? { redis: disturbance.run.redis } : {};
  const run = await PlatformRun.start(dayOptions(name, { ...database, ...redis, ...overrides }));
  runs.push(run); // closed by the caller's afterAll, even when the test times out
  const log = new FaultLog();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const periodic = disturbance?.periodic;
  if (periodic !== undefined) {
    let n = 0;
    const act = () => {
      void periodic.act(run, n++, log).finally(() => {
        if (!stopped) timer = setTimeout(act, periodic.every);
      });
    };
    timer = setTimeout(act, periodic.every);
  }
  try {
    for (let i = 0; i < HOURS * 60; i++) {
      if (disturbance?.once?.atStep === i) await disturbance.once.act(run, log);
      await run.step();
      await disturbance?.afterStep?.(run, log);
      if (log.pending) {
        await run.supervisor.waitReady(undefined, 120_000);
        log.recovered();
      }
    }
    stopped = true;
    clearTimeout(timer);
    await disturbance?.end?.(run);
    for (let i = 0; i < CALM_STEPS_AT_THE_END; i++) await run.step();
    log.recovered();
    const t = run.timing;
    console.log(
      `${name}: ${t.steps} steps, advance ${(t.advance / t.steps).toFixed(1)} ms, settle ${(t.settle / t.steps).toFixed(1)} ms per step`,
    );
    const outcome = await outcomeOf(run);
    // For a look after a failure: diff .recio/e2e/calm-outcome.json chaos-outcome.json
    writeFileSync(
      join(LOG_DIR, `${fileName(name)}-outcome.json`),
      JSON.stringify(
        { ...outcome, ledgers: Object.fromEntries(outcome.ledgers), mirror: Object.fromEntries(outcome.mirror) },
        null,
        1,
      ),
    );
    return {
      name,
      run,
      outcome,
      faults: log.instances,
      aclDenials: await run.aclDenials(),
      unconverged: await unconverged(run),
    };
  } finally {
    stopped = true;
    clearTimeout(timer);
  }
}

/**
 * A PostgreSQL server of the run's own (a fault restarts it; the observability test reads its
 * statistics), with an empty `recio` database the run migrates.
 */
export async function privateDatabase(): Promise<RunDatabase> {
  const server = await startPostgres();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query('CREATE DATABASE recio');
  } finally {
    await admin.end();
  }
  return {
    url: server.url.replace(/\/postgres$/, '/recio'),
    server,
    drop: () => server.close(),
  };
}

/**
 * Channels where PostgreSQL and Redis disagree at the end: a gap in event_log (a sequence number
 * with no event), or a stream whose last entry is not the channel's head.
 */
async function unconverged(run: PlatformRun): Promise<string[]> {
  const { rows: heads } = await run.db.query<{ channel: string; last_seq: string; n: string; max: string }>(
    `SELECT h.channel, h.last_seq, count(e.*) AS n, max(e.seq) AS max FROM channel_head h LEFT JOIN event_log e USING (channel) GROUP BY 1, 2`,
  );
  const out: string[] = [];
  const redis = new Redis(await run.redisUrl());
  try {
    for (const h of heads) {
      if (h.n !== h.last_seq || h.max !== h.last_seq) out.push(`${h.channel}: head ${h.last_seq}, ${h.n} events`);
      const [last] = await redis.xrevrange(streamKey(h.channel), '+', '-', 'COUNT', 1);
      if (last?.[0] !== entryId(Number(h.last_seq))) out.push(`${h.channel}: stream ends at ${last?.[0] ?? 'nothing'}`);
    }
  } finally {
    redis.disconnect();
  }
  return out;
}

/** How a disturbed day's end compares to the calm day's (the fault table's columns). */
export interface Comparison {
  /** Events the calm day has that this one does not, by type, plus gaps in event_log. */
  eventsLost: number;
  /** Events beyond the calm day's, by type, plus exchange orders beyond the calm day's. */
  appliedTwice: number;
  /** Trades, ledgers, mirror and events equal to the calm day's, no dead letter, Redis converged. */
  sameAsCalm: boolean;
  /** What differs, for the log. */
  differences: string[];
}

export function compareToCalm(day: DayResult, calm: DayResult): Comparison {
  const a = day.outcome;
  const c = calm.outcome;
  let eventsLost = day.unconverged.filter((u) => u.includes('events')).length;
  let appliedTwice = 0;
  for (const type of new Set([...Object.keys(a.eventsByType), ...Object.keys(c.eventsByType)])) {
    const diff = (a.eventsByType[type] ?? 0) - (c.eventsByType[type] ?? 0);
    if (diff < 0) eventsLost -= diff;
    else appliedTwice += diff;
  }
  for (const [user, ledger] of a.ledgers) {
    appliedTwice += Math.max(0, ledger.orders.length - (c.ledgers.get(user)?.orders.length ?? 0));
  }
  const differences = [
    ...(a.deadLetters === 0 ? [] : [`${a.deadLetters} dead letters`]),
    ...(isDeepStrictEqual(a.trades, c.trades) ? [] : ['trades differ']),
    ...(isDeepStrictEqual(a.ledgers, c.ledgers) ? [] : ['exchange ledgers differ']),
    ...(isDeepStrictEqual(a.mirror, c.mirror) ? [] : ['mirror differs']),
    ...(isDeepStrictEqual(a.eventsByType, c.eventsByType) ? [] : ['events by type differ']),
    ...day.unconverged,
  ];
  return { eventsLost, appliedTwice, sameAsCalm: differences.length === 0, differences };
}
