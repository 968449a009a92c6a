import {
  buildStrikeTable,
  entryDecisions,
  eventTicker,
  hourCloseAfter,
  INITIAL_SPIKE_GUARD,
  NO_ENTRY_REASONS,
  spikeGuardStep,
  tradeKey,
  type Settings,
  type SpikeGuardStep,
} from '@recio/domain';
import type { OpenRequest, PriceTick, StrikeTable } from '@recio/platform';
import type { RecioEvent } from '@recio/router';
import {
  isStaleTick,
  type PlatformTransaction,
  type TickReactorOptions,
  type VersionedState,
} from '@recio/service-kit';
import { Counter } from 'prom-client';
import { v5 as uuidv5 } from 'uuid';
import { loadEntryView, saveEntries, type EntryState, type LiveTrade } from './entry-state.js';
import type { RequestedTrades } from './requested-trades.js';

// Namespace of auto-entry trade ids: uuid v5 of (user, price event, ticker, side), so a tick
// handled twice asks for the same trade and the trade manager creates it once.
const TRADE_ID_NAMESPACE = '6f1e2f8a-3c1b-5b7e-9d59-1d3c0f6a2b10';

/** What a user's scan on a tick can come to (recio_auto_entry_scans_total's `reason`). */
const SCAN_OUTCOMES = ['ENTERED', 'STALE_TICK', 'NO_QUOTES', ...NO_ENTRY_REASONS] as const;

/** Options of {@link EntryScanner}. */
export interface EntryScannerOptions extends TickReactorOptions {
  /**
   * Publishes a tick's strike table on `markets:btc` (latest-value: Redis only, versioned by the
   * tick's time). Best effort: the next tick's table supersedes one that did not go out.
   */
  publishTable: (table: StrikeTable) => Promise<void>;
  /** Settings, entry states and live trades held in memory between changes (see VersionedState). */
  state: VersionedState<TickState>;
  /** Where the trades it requests are remembered once committed (their `trade.created` is then ignored). */
  requested: RequestedTrades;
}

/**
 * The auto-entry supervisor's reaction to a price tick: the strike table of the current hour
 * (published on `markets:btc` for the UI), each user's spike guard, and DOMAIN.md's auto-entry
 * rules; every entry is a `trade.open_requested` on `trades:<user>`, committed with the state
 * that prevents a second one (live trade, per-strike cooldown). A tick that changes nothing costs
 * PostgreSQL nothing: it is judged on the in-memory copy, and only what would change is decided
 * again from the locked rows.
 */
export class EntryScanner {
  readonly #o: EntryScannerOptions;
  readonly #entries: Counter<'reason'>;

  constructor(options: EntryScannerOptions) {
    this.#o = options;
    this.#entries = new Counter({
      name: 'recio_auto_entry_scans_total',
      help: 'Auto-entry scans per user and tick, by outcome (ENTERED or why not)',
      labelNames: ['reason'],
      registers: [options.registry],
    });
    // Every outcome starts at 0: the dashboard shows "no scans" rather than nothing.
    for (const reason of SCAN_OUTCOMES) this.#entries.inc({ reason }, 0);
  }

  async onTick(tx: PlatformTransaction, event: RecioEvent, tick: PriceTick, signal: AbortSignal): Promise<void> {
    // What each user would do, from the in-memory copy: most ticks change nothing and send nothing.
    const copy = await this.#o.state.get();
    const closeAt = hourCloseAfter(tick.at);
    const ticker = eventTicker(closeAt);
    const stale = isStaleTick(event, this.#o.staleTickMs);
    const table = stale ? null : await this.#strikeTable(tick, ticker, closeAt, signal);
    if (table)
      await this.#o.publishTable(table).catch((err: unknown) => {
        this.#o.logger.warn({ err, at: table.at }, 'strike table not published');
      });
    const planned = plan(copy, [...copy.settings.keys()], table, tick, stale);
    const changed = [...planned].filter(([, p]) => p.changed).map(([userId]) => userId);
    for (const [, p] of planned) if (!p.changed) this.#entries.inc({ reason: p.reason });
    if (changed.length === 0) return;

    // Something changes (a guard, an entry): decided again from PostgreSQL's rows, locked, and
    // written with the events, in one transaction. The copy is only a first look.
    const fresh: TickState = { settings: await this.#o.settings.all(tx), ...(await loadEntryView(tx, changed)) };
    const decided = plan(
      fresh,
      changed.filter((u) => fresh.settings.has(u)),
      table,
      tick,
      stale,
    );
    const writes = new Map<string, EntryState>();
    const entered: LiveTrade[] = [];
    for (const [userId, p] of decided) {
      this.#entries.inc({ reason: p.reason });
      const before = fresh.states.get(userId)!;
      if (p.guard.state.paused !== before.guard.paused || p.guard.state.calmSinceMs !== before.guard.calmSinceMs)
        publishGuard(tx, userId, before.guard.paused, p.guard, tick, fresh.settings.get(userId)!);
      for (const entry of p.entries) entered.push(this.#enter(tx, userId, table!, tick, entry, event.seq));
      if (p.changed) writes.set(userId, p.state);
    }
    await saveEntries(tx, writes, entered);
    tx.onCommit(() => {
      for (const t of entered) this.#o.requested.add(t.tradeId);
      void this.#o.state.changed((s) => withEntries(s, writes, entered));
    });
  }

  /** Requests the trade of an entry (the caller records it as live). */
  #enter(
    tx: PlatformTransaction,
    userId: string,
    table: StrikeTable,
    tick: PriceTick,
    entry: EntryDecision,
    seq: number,
  ): LiveTrade {
    const request: OpenRequest = {
      tradeId: uuidv5(`${userId}:${seq}:${entry.ticker}:${entry.side}`, TRADE_ID_NAMESPACE),
      userId,
      symbol: tick.symbol,
      eventTicker: table.eventTicker,
      marketTicker: entry.ticker,
      strike: entry.strike,
      side: entry.side,
      count: entry.count,
      limitPriceCents: entry.askCents,
      entryMethod: 'auto',
      probability: round(entry.probability, 3),
      diff: round(entry.diff, 3),
      momentum: tick.momentum === null ? null : round(tick.momentum, 4),
      volatility: tick.volatility === null ? null : round(tick.volatility, 5),
      priceAtOpen: tick.price,
      marketCloseAt: table.closeAt,
      requestedAt: tick.at,
    };
    tx.publish(`trades:${userId}`, 'trade.open_requested', request);
    this.#o.logger.info(
      {
        userId,
        tradeId: request.tradeId,
        ticker: entry.ticker,
        side: entry.side,
        ask: entry.askCents,
        probability: request.probability,
      },
      'auto entry',
    );
    return { tradeId: request.tradeId, userId, marketTicker: request.marketTicker, side: request.side };
  }

  // The quotes come from outside: when the exchange does not answer, this tick trades nothing
  // (a stale tick is worth nothing later, so it is not retried).
  async #strikeTable(
    tick: PriceTick,
    ticker: string,
    closeAt: number,
    signal: AbortSignal,
  ): Promise<StrikeTable | null> {
    let markets;
    try {
      markets = await this.#o.quotes.quotes(ticker, signal);
    } catch (err) {
      this.#o.logger.warn({ err, eventTicker: ticker }, 'no quotes for this tick');
      return null;
    }
    const rows = buildStrikeTable({
      price: tick.price,
      nowMs: tick.at,
      closeMs: closeAt,
      eventTicker: ticker,
      markets,
      momentum: tick.momentum,
      volatility: tick.volatility,
      model: this.#o.model,
    });
    if (rows.length === 0) return null;
    return { at: tick.at, eventTicker: ticker, closeAt, price: tick.price, momentum: tick.momentum, rows };
  }
}

/** What the tick handler reads: every user's settings, and their entry states and live trades. */
export interface TickState {
  settings: Map<string, Settings>;
  states: Map<string, EntryState>;
  /** `${ticker}:${side}` of each user's live trades. */
  live: Map<string, Set<string>>;
}

/** `state` after a commit stored `states` and recorded `entered` as live (VersionedState.changed's update). */
export function withEntries(
  state: TickState,
  states: ReadonlyMap<string, EntryState>,
  entered: readonly LiveTrade[],
): TickState {
  const next: TickState = { ...state, states: new Map(state.states), live: new Map(state.live) };
  for (const [userId, s] of states) next.states.set(userId, s);
  for (const t of entered)
    next.live.set(t.userId, new Set(next.live.get(t.userId)).add(tradeKey(t.marketTicker, t.side)));
  return next;
}

/** One entry an auto-entry scan decided on. */
type EntryDecision = ReturnType<typeof entryDecisions>['entries'][number];

/** What a tick makes of one user: the guard's step, the entries, the state after, and the scan's outcome. */
interface UserPlan {
  guard: SpikeGuardStep;
  entries: EntryDecision[];
  state: EntryState;
  changed: boolean;
  reason: (typeof SCAN_OUTCOMES)[number];
}

/**
 * DOMAIN.md's auto-entry rules for `users` on one tick, from `s`, without side effects: the same
 * function makes the first look (the in-memory copy) and the decision (PostgreSQL's locked rows).
 */
function plan(
  s: TickState,
  users: readonly string[],
  table: StrikeTable | null,
  tick: PriceTick,
  stale: boolean,
): Map<string, UserPlan> {
  const out = new Map<string, UserPlan>();
  for (const userId of users) {
    const settings = s.settings.get(userId)!;
    const before = s.states.get(userId) ?? { guard: { ...INITIAL_SPIKE_GUARD }, lastEntries: {} };
    const guard = spikeGuardStep(before.guard, tick.momentum, tick.at, settings.autoEntry);
    const state: EntryState = { guard: guard.state, lastEntries: { ...before.lastEntries } };
    let entries: EntryDecision[] = [];
    let reason: UserPlan['reason'] = stale ? 'STALE_TICK' : 'NO_QUOTES';
    if (table) {
      const scan = entryDecisions({
        rows: table.rows,
        settings: settings.autoEntry,
        ttcSeconds: (table.closeAt - tick.at) / 1000,
        nowMs: tick.at,
        guard: { paused: guard.paused },
        openKeys: s.live.get(userId) ?? new Set(),
        lastEntryAt: new Map(Object.entries(before.lastEntries)),
      });
      if (scan.reason !== null) reason = scan.reason;
      else {
        reason = 'ENTERED';
        entries = scan.entries;
        for (const e of entries) state.lastEntries[e.ticker] = tick.at;
      }
    }
    out.set(userId, { guard, entries, state, reason, changed: JSON.stringify(state) !== JSON.stringify(before) });
  }
  return out;
}

/**
 * The trader's spike guard changed (paused, its calm count started or reset, resumed): told on
 * `system:health` as `spike-guard` naming the user (only they see it), with the resume time, in the
 * tick's transaction, so the page shows the state and its countdown without asking.
 */
function publishGuard(
  tx: PlatformTransaction,
  userId: string,
  wasPaused: boolean,
  guard: SpikeGuardStep,
  tick: PriceTick,
  settings: Settings,
): void {
  const { spikeThreshold, cooldownThreshold, cooldownMinutes } = settings.autoEntry;
  const detail = !guard.paused
    ? 'auto entry resumed'
    : guard.resumesAtMs === null
      ? `auto entry paused: momentum spike (|momentum| ≥ ${spikeThreshold}); resumes ${cooldownMinutes} min after it stays below ${cooldownThreshold}`
      : `auto entry paused: momentum below ${cooldownThreshold} since ${new Date(guard.state.calmSinceMs!).toISOString()}`;
  tx.publish('system:health', 'health.changed', {
    component: 'spike-guard',
    userId,
    status: guard.paused ? 'paused' : 'up',
    previous: wasPaused ? 'paused' : 'up',
    detail,
    resumesAt: guard.resumesAtMs,
    at: tick.at,
  });
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
