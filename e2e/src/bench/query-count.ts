// `make bench` (second part): PostgreSQL statements per service (every round trip, BEGIN and COMMIT
// included) during two steady minutes of the whole platform on the paper world in real time — a
// quiet one (outside the auto-entry window) and a trading one (its first minute) — beside what the
// legacy system's polling (DOMAIN.md "The legacy frontend", the proposal's "Identified Polling
// Loops") costs for the same users in a minute; then 100 trader pages loaded (twice: the cache
// filled, then the steady state) and a third minute measured with them open and following. Not a
// test: it prints figures, the goals beside them, and asserts nothing.
//   node --import tsx e2e/src/bench/query-count.ts   (REDIS_URL/DATABASE_URL as for make test)
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import {
  chartHistoryPath,
  LEGACY_POLLS_PER_MINUTE,
  legacyPollingPerMinute,
  MAIN_APP_API_PREFIX,
} from '@recio/platform';
import { PlatformRun } from '../harness/platform-run.js';
import { benchDatabase } from './bench-database.js';

const USERS = Number(process.env.QUERY_BENCH_USERS ?? 3);
const WARMUP_S = Number(process.env.QUERY_BENCH_WARMUP_SECONDS ?? 45);
/** Issue 14's goals, as fractions of the legacy floor: a quiet minute (3 users; 10 users) and a trading one. */
const GOAL = { quiet: USERS >= 10 ? 0.04 : 0.1, trading: 0.4 };
const MEASURE_S = 60;
/** Open trader pages during the second measured minute (the "100 browsers connected"). */
const BROWSERS = Number(process.env.QUERY_BENCH_BROWSERS ?? 100);
const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** Seconds the price watchdog published so far (its recio_prices_published_total). */
async function publishedTicks(run: PlatformRun): Promise<number> {
  const text = await (await fetch(`${run.url('btc-price-watchdog')}/metrics`)).text();
  return Number(/^recio_prices_published_total(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
}

/** recio_pg_statements_total of every service, by service and kind (query | transaction). */
async function queryCounters(
  run: PlatformRun,
  services: string[],
): Promise<Map<string, { query: number; transaction: number }>> {
  const out = new Map<string, { query: number; transaction: number }>();
  for (const s of services) {
    const text = await (await fetch(`${run.url(s)}/metrics`)).text();
    const kind = (k: string) =>
      Number(new RegExp(`^recio_pg_statements_total\\{[^}]*kind="${k}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    out.set(s, { query: kind('query'), transaction: kind('transaction') });
  }
  return out;
}

async function main(): Promise<void> {
  mkdirSync(join(ROOT, '.recio', 'bench'), { recursive: true });
  const users = Array.from({ length: USERS }, (_, i) => ({
    id: `user_${String(i + 1).padStart(4, '0')}`,
    settings: { autoEntry: { enabled: true, minProbability: 90, minDifferential: 0 } },
  }));
  const run = await PlatformRun.start({
    seed: 'query-bench',
    // The first measured minute ends where the last quarter-hour before a close begins (TTC 960 →
    // 900 s: no auto entry yet, quiet); the second is that quarter-hour's first minute, when auto
    // entry is allowed (TTC 900 s down to 120 s), so it has trading in it.
    startMs: Date.parse('2026-03-10T13:44:00Z') - WARMUP_S * 1000,
    tickSeconds: 1,
    shocks: [],
    users,
    balanceCents: 1_000_000,
    portOffset: 21_000,
    logFile: join(ROOT, '.recio', 'bench', 'query-count.log'),
    healthController: {},
    database: () => benchDatabase('recio_qbench'),
    clock: { mode: 'realtime', speed: 1 },
  });
  try {
    const services = [
      'btc-price-watchdog',
      'auto-entry-supervisor',
      'active-trade-supervisor',
      'trade-manager',
      'trade-executor',
      'kalshi-account-sync',
      'kalshi-api-watchdog',
      'main-app',
      'relay',
      'health-controller',
    ];
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const quiet = await measureMinute(run, services);
    print(`quiet: ${USERS} users with auto entry on, outside the entry window, no page open`, quiet);
    const trading = await measureMinute(run, services);
    print(`trading: the entry window's first minute, no page open`, trading);
    const legacy = legacyPerMinute(USERS);
    console.log(`\nLegacy polling for the same ${USERS} users, at least one statement per poll:`);
    for (const [what, n] of legacy.lines) console.log(`  ${what.padEnd(58)} ${String(n).padStart(6)}`);
    console.log(`  ${'legacy total (lower bound)'.padEnd(58)} ${String(legacy.total).padStart(6)}`);
    for (const [what, m, goal] of [
      ['quiet', quiet, GOAL.quiet],
      ['trading', trading, GOAL.trading],
    ] as const) {
      const all = m.total + m.control;
      console.log(
        `${what} minute: ${all} statements (${m.total} queries + ${m.control} BEGIN/COMMIT) = ${((100 * all) / legacy.total).toFixed(1)}% of the legacy floor (goal ≤ ${goal * 100}%)`,
      );
    }

    if (BROWSERS > 0) {
      // Page loads as the page does them (GET /snapshot and the chart's history, then one socket
      // following each part from its seq), twice: the first may fill the cache, the second is the
      // steady state.
      const pages: WebSocket[] = [];
      for (const round of ['first', 'second'] as const) {
        const before = (await queryCounters(run, ['main-app'])).get('main-app')!;
        const opened = await Promise.all(
          Array.from({ length: BROWSERS }, (_, i) => openPage(run, users[i % users.length]!.id)),
        );
        const after = (await queryCounters(run, ['main-app'])).get('main-app')!;
        console.log(
          `\n${BROWSERS} page loads (${round} round): main-app sent PostgreSQL ${after.query - before.query} queries + ${after.transaction - before.transaction} BEGIN/COMMIT`,
        );
        if (round === 'first') for (const ws of opened) ws.close();
        else pages.push(...opened);
      }
      const connected = await measureMinute(run, services);
      print(`the same, with ${pages.length} pages open and following`, connected);
      const delta = (m: Minute) => m.rows.get('main-app')!;
      console.log(
        `\nmain-app, no page open → ${pages.length} pages open: ${delta(quiet).query} → ${delta(connected).query} queries, ${delta(quiet).transaction} → ${delta(connected).transaction} BEGIN/COMMIT`,
      );
      for (const ws of pages) ws.terminate();
    }
  } finally {
    await run.close();
  }
}

interface Minute {
  rows: Map<string, { query: number; transaction: number }>;
  total: number;
  control: number;
  ticks: number;
  entered: number;
  open: [number, number];
}

/** Statements per service over one measured minute, with what happened in it. */
async function measureMinute(run: PlatformRun, services: string[]): Promise<Minute> {
  const ticksBefore = await publishedTicks(run);
  const before = await queryCounters(run, services);
  const from = (await run.admin<{ now_ms: number }>('GET', '/state')).now_ms;
  const open0 = await openTrades(run);
  await new Promise((r) => setTimeout(r, MEASURE_S * 1000));
  const after = await queryCounters(run, services);
  const open1 = await openTrades(run);
  const to = (await run.admin<{ now_ms: number }>('GET', '/state')).now_ms;
  const count = async (sql: string) =>
    (await run.db.query<{ n: number }>(sql, [new Date(from), new Date(to)])).rows[0]!.n;

  const rows = new Map<string, { query: number; transaction: number }>();
  for (const s of services) {
    rows.set(s, {
      query: after.get(s)!.query - before.get(s)!.query,
      transaction: after.get(s)!.transaction - before.get(s)!.transaction,
    });
  }
  return {
    rows,
    total: [...rows.values()].reduce((n, r) => n + r.query, 0),
    control: [...rows.values()].reduce((n, r) => n + r.transaction, 0),
    ticks: (await publishedTicks(run)) - ticksBefore,
    entered: await count('SELECT count(*)::int AS n FROM trade WHERE created_at > $1 AND created_at <= $2'),
    open: [open0, open1],
  };
}

function print(what: string, m: Minute): void {
  console.log(
    `\nPostgreSQL statements in one steady minute (${what}; ${m.ticks} price ticks, ${m.entered} trades entered, live trades ${m.open[0]} → ${m.open[1]}):`,
  );
  console.log(`  ${'service'.padEnd(24)} ${'queries'.padStart(8)} ${'BEGIN/COMMIT'.padStart(13)}`);
  for (const [s, r] of m.rows)
    console.log(`  ${s.padEnd(24)} ${String(r.query).padStart(8)} ${String(r.transaction).padStart(13)}`);
  console.log(`  ${'platform total'.padEnd(24)} ${String(m.total).padStart(8)} ${String(m.control).padStart(13)}`);
  console.log(`  ${'every round trip'.padEnd(24)} ${String(m.total + m.control).padStart(8)}`);
}

/**
 * One trader page, as the page loads itself: GET /snapshot and the chart's history, then one socket
 * following the price and strike table from 0 (the gateway's memory) and each of the trader's parts
 * from its seq.
 */
async function openPage(run: PlatformRun, user: string): Promise<WebSocket> {
  const headers = { authorization: `Bearer ${run.token(user)}` };
  const res = await fetch(`${run.url('main-app')}${MAIN_APP_API_PREFIX}/snapshot`, { headers });
  if (!res.ok) throw new Error(`GET /snapshot: ${res.status} ${await res.text()}`);
  const chart = await fetch(`${run.url('main-app')}${MAIN_APP_API_PREFIX}${chartHistoryPath(Date.now())}`, { headers });
  if (!chart.ok) throw new Error(`GET the chart's history: ${chart.status} ${await chart.text()}`);
  const s = (await res.json()) as Record<'trades' | 'account' | 'positions' | 'settings' | 'health', { seq: number }>;
  const follows: [string, number][] = [
    ['prices:btc', 0],
    ['markets:btc', 0],
    [`trades:${user}`, s.trades.seq],
    [`account:${user}`, s.account.seq],
    [`positions:${user}`, s.positions.seq],
    [`settings:${user}`, s.settings.seq],
    ['system:health', s.health.seq],
  ];
  const ws = new WebSocket(`${run.url('main-app').replace('http', 'ws')}/ws`, { headers });
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => resolve());
  });
  let subscribed = 0;
  await new Promise<void>((resolve) => {
    ws.on('message', (data) => {
      if (
        (JSON.parse((data as Buffer).toString('utf8')) as { op: string }).op === 'subscribed' &&
        ++subscribed === follows.length
      )
        resolve();
    });
    for (const [channel, since] of follows) ws.send(JSON.stringify({ op: 'subscribe', channel, since }));
  });
  return ws;
}

async function openTrades(run: PlatformRun): Promise<number> {
  return (
    await run.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM trade WHERE status IN ('pending', 'open', 'closing')`,
    )
  ).rows[0]!.n;
}

/** The legacy floor's lines for `users` traders (@recio/platform's LEGACY_POLLS_PER_MINUTE). */
function legacyPerMinute(users: number): { lines: [string, number][]; total: number } {
  const ui = LEGACY_POLLS_PER_MINUTE.uiPerTrader;
  const fixed = LEGACY_POLLS_PER_MINUTE.fixed;
  const lines: [string, number][] = [
    [
      `UI, per trader: prices ${ui.prices} + strike table ${ui.strikeTable} + trades ${ui.trades} + history ${ui.history} + balance ${ui.balance} (× ${users})`,
      (ui.prices + ui.strikeTable + ui.trades + ui.history + ui.balance) * users,
    ],
    [`auto entry scan every 1 s, per user (× ${users})`, LEGACY_POLLS_PER_MINUTE.autoEntryPerUser * users],
    ['active trade supervisor, every 5 s', fixed.activeTradeSupervisor],
    ['price watchdog, one stored price per second', fixed.priceWatchdog],
    ['database change monitor, every 1 s', fixed.changeMonitor],
  ];
  return { lines, total: legacyPollingPerMinute(users).total };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
