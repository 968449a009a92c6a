import { entryId } from '@recio/contract';
import { streamKey } from '@recio/router';
import { Redis } from 'ioredis';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@recio/test-support';
import { outcomeOf, type Outcome } from './harness/outcome.js';
import { PlatformRun, type RunOptions } from './harness/platform-run.js';

// A whole simulated day on the paper world, driven in lock step: each step moves the world one
// tick (60 simulated seconds) and waits until the platform has done everything the tick caused.
// The world is seeded, so the day is the same in every run; the second run SIGKILLs a random
// service every few seconds and must end with the same trades, positions and balances.
const HOURS = Number(process.env.E2E_HOURS ?? 24);
const START = Date.parse('2026-03-10T13:00:00Z');
const DAY_TIMEOUT_MS = 15 * 60_000;
const LOG_DIR = resolve(import.meta.dirname, '..', '..', '.recio', 'e2e');
mkdirSync(LOG_DIR, { recursive: true });

const options = (name: string): RunOptions => ({
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
  logFile: join(LOG_DIR, `${name}.log`),
  database: () => createTestDatabase({ redisUrl: null }),
});

const SERVICES_TO_KILL = [
  'trade-manager',
  'trade-executor',
  'btc-price-watchdog',
  'auto-entry-supervisor',
  'active-trade-supervisor',
  'kalshi-account-sync',
  'main-app',
  'relay',
];

/**
 * A disturbance of a running day: started once the platform is up, it acts on a timer (wall clock)
 * and tells what it did; stopped before the day's last steps.
 */
interface Disturbance {
  every: number;
  act(run: PlatformRun, n: number): Promise<string | null>;
}

/** SIGKILLs a service, round robin over a scrambled list. */
const killServices: Disturbance = {
  every: 2_500,
  act: async (run, n) => {
    const victim = SERVICES_TO_KILL[(n * 7 + 3) % SERVICES_TO_KILL.length]!;
    return run.supervisor.kill(victim, 'SIGKILL') ? victim : null;
  },
};

// The exchange misbehaving on the account API (orders, fills, positions, balance: the trading path
// and the mirror): a reply lost after the order was placed, a burst of 5xx, a reply slower than the
// client's timeout (2 s in the run) after the request took effect, rate limiting. Public market data (the
// watchdog's probes) is left alone, so the day's health events stay those of the calm day.
const EXCHANGE_FAULTS = [
  { name: 'order reply lost', status: 503, after: true, method: 'POST', path: '/portfolio/orders', count: 1 },
  { name: '5xx burst', status: 502, path: '/portfolio', count: 4 },
  { name: 'timeout after the effect', delayMs: 2_500, after: true, path: '/portfolio', count: 1 },
  { name: '429 burst', status: 429, path: '/portfolio', count: 3 },
  { name: 'order reply lost twice', status: 504, after: true, method: 'POST', path: '/portfolio/orders', count: 2 },
] as const;

/**
 * Queues the next exchange fault once the last one has been spent: faults hit requests as they come,
 * never piling up faster than the platform sends requests (which would be an outage, not a fault).
 */
const exchangeFaults: Disturbance = {
  every: 2_000,
  act: async (run, n) => {
    const state = await run.admin<{ faults_pending: number }>('GET', '/state');
    if (state.faults_pending > 0) return null;
    const { name, ...fault } = EXCHANGE_FAULTS[n % EXCHANGE_FAULTS.length]!;
    await run.admin('POST', '/faults', fault);
    return name;
  },
};

/** Runs the day, disturbed or not. */
async function runDay(
  name: string,
  runs: PlatformRun[],
  disturbance?: Disturbance,
): Promise<{ outcome: Outcome; kills: string[]; run: PlatformRun; aclDenials: string[] }> {
  const run = await PlatformRun.start(options(name));
  runs.push(run); // closed by afterAll, even when the test times out
  const kills: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  if (disturbance !== undefined) {
    let n = 0;
    const act = () => {
      void disturbance.act(run, n++).then(
        (did) => {
          if (did !== null) kills.push(did);
          timer = setTimeout(act, disturbance.every);
        },
        () => (timer = setTimeout(act, disturbance.every)),
      );
    };
    timer = setTimeout(act, disturbance.every);
  }
  try {
    for (let i = 0; i < HOURS * 60; i++) await run.step();
    clearTimeout(timer);
    timer = undefined;
    // Past the last close with a sound exchange: nothing queued is left to hit the final steps.
    if (disturbance === exchangeFaults) await run.admin('DELETE', '/faults');
    // Past the last close (and its settlement), with nothing killed: everything ends.
    for (let i = 0; i < 5; i++) await run.step();
    const t = run.timing;
    console.log(
      `${name}: ${t.steps} steps, advance ${(t.advance / t.steps).toFixed(1)} ms, settle ${(t.settle / t.steps).toFixed(1)} ms per step`,
    );
    const outcome = await outcomeOf(run);
    // For a look after a failure: diff .recio/e2e/calm-outcome.json chaos-outcome.json
    writeFileSync(
      join(LOG_DIR, `${name}-outcome.json`),
      JSON.stringify(
        { ...outcome, ledgers: Object.fromEntries(outcome.ledgers), mirror: Object.fromEntries(outcome.mirror) },
        null,
        1,
      ),
    );
    return { outcome, kills, run, aclDenials: await run.aclDenials() };
  } finally {
    clearTimeout(timer);
  }
}

describe('a trading day on the paper world', () => {
  const runs: PlatformRun[] = [];
  let calm: Outcome;
  /** A disturbed day ended as the calm one: no dead letter, the same trades, ledgers, mirror and events. */
  const expectCalmDay = (outcome: Outcome): void => {
    expect(outcome.deadLetters).toBe(0);
    expect(outcome.trades).toEqual(calm.trades);
    expect(outcome.ledgers).toEqual(calm.ledgers);
    expect(outcome.mirror).toEqual(calm.mirror);
    expect(outcome.eventsByType).toEqual(calm.eventsByType);
  };

  afterAll(async () => {
    for (const run of runs) await run.close();
  });

  it(
    'enters, stops, expires and settles, with pnl to the cent against the exchange and every event kept',
    async () => {
      const { outcome, run, aclDenials } = await runDay('calm', runs);
      calm = outcome;
      // Every service ran as its own Redis ACL user with the charts' rules, and none was refused a key.
      expect(aclDenials).toEqual([]);
      const trades = outcome.trades;
      expect(outcome.deadLetters).toBe(0);
      expect(trades.filter((t) => t.entryMethod === 'auto').length).toBeGreaterThan(0);
      expect(trades.filter((t) => t.closeMethod === 'auto').length).toBeGreaterThan(0);
      expect(trades.filter((t) => t.closeMethod === 'expired').length).toBeGreaterThan(0);
      for (const t of trades) expect(['closed', 'cancelled', 'error'], `${t.id} ${t.status}`).toContain(t.status);

      for (const [user, ledger] of outcome.ledgers) {
        const mine = trades.filter((t) => t.userId === user);
        // Every contract the exchange moved is a trade's: the entry order is the trade's id.
        const orders = new Map(ledger.orders.map((o) => [o.client_order_id, o]));
        for (const t of mine.filter((x) => x.buyPriceCents !== null)) {
          const entry = orders.get(t.id);
          expect(entry, `entry order of ${t.id}`).toBeDefined();
          expect(entry!.fill_count).toBe(t.count);
          expect(entry!.taker_fill_cost).toBe(t.buyPriceCents! * t.count);
        }
        // Fees: the exchange's, summed over the user's orders; pnl: the balance it moved.
        const fees = ledger.orders.reduce((sum, o) => sum + (o.taker_fees ?? 0), 0);
        expect(mine.reduce((sum, t) => sum + t.feesCents, 0)).toBe(fees);
        const pnl = mine.reduce((sum, t) => sum + (t.pnlCents ?? 0), 0);
        expect(pnl, `${user}: sum of trade pnl vs balance change`).toBe(ledger.balance - ledger.starting_balance);
        expect(ledger.positions.filter((p) => p.position !== 0)).toEqual([]);
        expect(outcome.mirror.get(user)).toEqual({ balanceCents: ledger.balance, positions: [] });
      }

      // PostgreSQL holds every event, gapless, and Redis converged to it.
      const { rows: heads } = await run.db.query<{ channel: string; last_seq: string; n: string; max: string }>(
        `SELECT h.channel, h.last_seq, count(e.*) AS n, max(e.seq) AS max FROM channel_head h LEFT JOIN event_log e USING (channel) GROUP BY 1, 2`,
      );
      const redis = new Redis(run.redisUrl);
      try {
        for (const h of heads) {
          expect(h.n, h.channel).toBe(h.last_seq);
          expect(h.max, h.channel).toBe(h.last_seq);
          const [last] = await redis.xrevrange(streamKey(h.channel), '+', '-', 'COUNT', 1);
          expect(last?.[0], h.channel).toBe(entryId(Number(h.last_seq)));
        }
      } finally {
        redis.disconnect();
      }
      // One price event per tick, the start's included.
      expect(outcome.eventsByType['price.tick']).toBe(HOURS * 60 + 5 + 1);
      // Each fill and settlement the exchange made was announced exactly once.
      const fills = [...outcome.ledgers.values()].reduce((n, l) => n + l.fills.length, 0);
      const settlements = [...outcome.ledgers.values()].reduce((n, l) => n + l.settlements.length, 0);
      expect(outcome.eventsByType['fill.recorded']).toBe(fills);
      expect(outcome.eventsByType['settlement.recorded']).toBe(settlements);
      await run.close(); // its ports are the next run's
    },
    DAY_TIMEOUT_MS,
  );

  it(
    'ends the same with a random service killed every few seconds',
    async () => {
      expect(calm, 'the undisturbed run').toBeDefined();
      const { outcome, kills, run, aclDenials } = await runDay('chaos', runs, killServices);
      expect(aclDenials).toEqual([]);
      expect(kills.length).toBeGreaterThanOrEqual(SERVICES_TO_KILL.length);
      const restarts = run.supervisor.status().reduce((sum, p) => sum + p.restarts, 0);
      expect(restarts).toBeGreaterThanOrEqual(kills.length);
      expectCalmDay(outcome);
      await run.close(); // its ports are the next run's
    },
    DAY_TIMEOUT_MS,
  );

  it(
    'ends the same with the exchange losing replies, timing out and failing in bursts',
    async () => {
      expect(calm, 'the undisturbed run').toBeDefined();
      const { outcome, kills: faults } = await runDay('faults', runs, exchangeFaults);
      expect(faults.length).toBeGreaterThanOrEqual(EXCHANGE_FAULTS.length);
      // Every position accounted for: the same trades, orders, fills, balances and mirror as the calm day.
      expectCalmDay(outcome);
    },
    DAY_TIMEOUT_MS,
  );
});
