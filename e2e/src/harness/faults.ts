import type { Disturbance, FaultLog } from './day.js';
import type { PlatformRun } from './platform-run.js';

// The faults a trading day is run under (`make chaos` runs each; `make test` the first two). A
// fault that takes a server down hits at step FAULT_STEP: the third hour's price drop, when open
// trades are being stopped, so stops, fills and the mirror all cross the outage.

/** 2h41 into the day: one minute into the 1.5% drop (day.ts's shock). */
const FAULT_STEP = 161;

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

/** SIGKILLs a service every 2.5 s, round robin over a scrambled list; the supervisor restarts it. */
export const killServices: Disturbance = {
  name: 'services SIGKILLed every 2.5 s',
  periodic: {
    every: 2_500,
    act: async (run, n, log) => {
      const victim = SERVICES_TO_KILL[(n * 7 + 3) % SERVICES_TO_KILL.length]!;
      if (run.supervisor.kill(victim, 'SIGKILL')) log.ended(`${victim} SIGKILLed`);
    },
  },
};

/** How many distinct services killServices reaches in a day (each at least once). */
export const KILLABLE_SERVICES = SERVICES_TO_KILL.length;

// The exchange misbehaving on the account API (orders, fills, positions, balance: the trading path
// and the mirror): a reply lost after the order was placed, a burst of 5xx, a reply slower than the
// client's timeout (2 s in the run) after the request took effect, rate limiting, every list item
// answered twice. Public market data (the watchdog's probes) is left alone, so the day's health
// events stay those of the calm day.
export const EXCHANGE_FAULTS = [
  { name: 'order reply lost', status: 503, after: true, method: 'POST', path: '/portfolio/orders', count: 1 },
  { name: '5xx burst', status: 502, path: '/portfolio', count: 4 },
  { name: 'timeout after the effect', delayMs: 2_500, after: true, path: '/portfolio', count: 1 },
  { name: '429 burst', status: 429, path: '/portfolio', count: 3 },
  { name: 'duplicate answers', duplicate: true, path: '/portfolio', count: 3 },
  { name: 'order reply lost twice', status: 504, after: true, method: 'POST', path: '/portfolio/orders', count: 2 },
] as const;

interface ExchangeFaultState {
  faults_pending: number;
  faults_answered: number;
  fault_last_answered_at: string | null;
}

/**
 * Queues the next exchange fault once the last one has been spent: faults hit requests as they come,
 * never piling up faster than the platform sends requests (which would be an outage, not a fault).
 * An instance ends when the exchange has sent its last faulted answer (after the step that saw it,
 * the time the exchange recorded); a fault still queued or half spent at the day's end is dropped
 * unrecorded.
 */
export function exchangeFaults(): Disturbance {
  let queued = 0;
  /** The fault in play: its name, and the exchange's count of faulted answers once it is spent. */
  let current: { name: string; spentAt: number } | undefined;
  return {
    name: 'exchange replies lost, late, 5xx/429, duplicated',
    periodic: {
      every: 2_000,
      act: async (run) => {
        if (current !== undefined) return;
        const { name, ...fault } = EXCHANGE_FAULTS[queued++ % EXCHANGE_FAULTS.length]!;
        const state = await run.admin<ExchangeFaultState>('GET', '/state');
        current = { name, spentAt: state.faults_answered + fault.count };
        await run.admin('POST', '/faults', fault);
      },
    },
    afterStep: async (run, log) => {
      if (current === undefined) return;
      const state = await run.admin<ExchangeFaultState>('GET', '/state');
      if (state.faults_answered < current.spentAt) return;
      log.ended(current.name, Date.parse(state.fault_last_answered_at!));
      current = undefined;
    },
    // Past the last close with a sound exchange: nothing queued is left to hit the final steps.
    end: async (run) => {
      await run.admin('DELETE', '/faults');
      current = undefined;
    },
  };
}

/** A server taken down at FAULT_STEP and brought back `seconds` later while the day goes on. */
function outage(
  name: string,
  run: Disturbance['run'],
  seconds: number,
  down: (run: PlatformRun) => Promise<void>,
  up: (run: PlatformRun) => Promise<void>,
): Disturbance {
  let back: Promise<void> | undefined;
  return {
    name,
    run,
    once: {
      atStep: FAULT_STEP,
      act: async (platform: PlatformRun, log: FaultLog) => {
        await down(platform);
        back = new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000))
          .then(() => up(platform))
          .then(() => log.ended(`${name}: back`));
      },
    },
    end: async () => {
      await back;
    },
  };
}

const standalone = (run: PlatformRun) => {
  if ('sentinels' in run.redisServer) throw new Error('this fault needs a standalone Redis');
  return run.redisServer;
};

/**
 * Redis shut down for 30 s and started again with its data (its append-only file), as a pod
 * rescheduled with its volume: publishes commit to PostgreSQL meanwhile; the relay and the
 * consumers catch up when it is back.
 */
export const redisDown = outage(
  'Redis down 30 s',
  { redis: { mode: 'standalone', persistence: true } },
  30,
  (run) => standalone(run).stop(),
  (run) => standalone(run).restart(),
);

/**
 * Redis SIGKILLed and started again empty (no persistence: every stream, group and pending entry
 * gone; the ACL users come back from its config file, as from the charts' ACL file). The relay
 * rebuilds the streams from PostgreSQL and the consumers their groups, from their PostgreSQL offsets.
 */
export const redisRestartedEmpty: Disturbance = {
  name: 'Redis restarted empty',
  once: {
    atStep: FAULT_STEP,
    act: async (run, log) => {
      const redis = standalone(run);
      await redis.kill('SIGKILL');
      await redis.restart();
      log.ended('Redis restarted empty');
    },
  },
};

/**
 * The Sentinel group's master SIGKILLed: the sentinels promote the replica (writes it had not
 * received are lost with the old master) and every service follows them to the new master.
 */
export const sentinelFailover: Disturbance = {
  name: 'Sentinel failover (master SIGKILLed)',
  run: { redis: { mode: 'sentinel' } },
  once: {
    atStep: FAULT_STEP,
    act: async (run, log) => {
      if (!('sentinels' in run.redisServer)) throw new Error('this fault needs a Sentinel group');
      const group = run.redisServer;
      const old = await group.killMaster();
      const promoted = await group.waitForNewMaster(old);
      log.ended(`master ${old.port} killed, ${promoted.port} promoted`);
    },
  },
};

/** PostgreSQL shut down as by a crash (immediate: WAL recovery at start) and started again 10 s later. */
export const postgresRestarted = outage(
  'PostgreSQL crashed, back after 10 s',
  { privatePostgres: true },
  10,
  async (run) => {
    const server = run.database.server;
    if (server === undefined) throw new Error('this fault needs a PostgreSQL server of the run');
    await server.stop('immediate');
  },
  (run) => run.database.server!.restart(),
);

/** Every fault of the table, in its order. */
export const FAULTS: Disturbance[] = [
  killServices,
  exchangeFaults(),
  redisDown,
  redisRestartedEmpty,
  sentinelFailover,
  postgresRestarted,
];
