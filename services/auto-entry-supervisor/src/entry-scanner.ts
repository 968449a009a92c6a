import {
  buildStrikeTable,
  entryDecisions,
  eventTicker,
  hourCloseAfter,
  NO_ENTRY_REASONS,
  spikeGuardStep,
  type Settings,
  type SpikeGuardStep,
} from '@recio/domain';
import type { OpenRequest, PriceTick, StrikeTable } from '@recio/platform';
import type { RecioEvent } from '@recio/router';
import { isStaleTick, type TickReactorOptions, type PlatformTransaction } from '@recio/service-kit';
import { Counter } from 'prom-client';
import { v5 as uuidv5 } from 'uuid';
import { addLiveTrade, liveTradeKeys, loadEntryStates, saveEntryStates, type EntryState } from './entry-state.js';

// Namespace of auto-entry trade ids: uuid v5 of (user, price event, ticker, side), so a tick
// handled twice asks for the same trade and the trade manager creates it once.
const TRADE_ID_NAMESPACE = '6f1e2f8a-3c1b-5b7e-9d59-1d3c0f6a2b10';

/** What a user's scan on a tick can come to (recio_auto_entry_scans_total's `reason`). */
const SCAN_OUTCOMES = ['ENTERED', 'STALE_TICK', 'NO_QUOTES', ...NO_ENTRY_REASONS] as const;

/** Options of {@link EntryScanner}. */
export type EntryScannerOptions = TickReactorOptions;

/**
 * The auto-entry supervisor's reaction to a price tick: the strike table of the current hour
 * (published on `markets:btc` for the UI), each user's spike guard, and DOMAIN.md's auto-entry
 * rules; every entry is a `trade.open_requested` on `trades:<user>`, committed with the state
 * that prevents a second one (live trade, per-strike cooldown).
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
    const users = await this.#o.settings.all(tx);
    const states = await loadEntryStates(tx, [...users.keys()]);
    const closeAt = hourCloseAfter(tick.at);
    const ticker = eventTicker(closeAt);
    const stale = isStaleTick(event, this.#o.staleTickMs);
    const table = stale ? null : await this.#strikeTable(tick, ticker, closeAt, signal);
    if (table) tx.publish('markets:btc', 'strike_table.updated', table);

    // A constant number of statements per tick, whatever the number of users: states and live
    // trades are read in one query each, and only the states that changed are written back.
    const enabled = [...users].filter(([, s]) => s.autoEntry.enabled).map(([u]) => u);
    const live = table && enabled.length > 0 ? await liveTradeKeys(tx, enabled) : new Map<string, Set<string>>();
    const changed = new Map<string, EntryState>();
    for (const [userId, settings] of users) {
      const state = states.get(userId)!;
      const before = JSON.stringify(state);
      const guard = spikeGuardStep(state.guard, tick.momentum, tick.at, settings.autoEntry);
      if (guard.state.paused !== state.guard.paused || guard.state.calmSinceMs !== state.guard.calmSinceMs)
        publishGuard(tx, userId, state.guard.paused, guard, tick, settings);
      state.guard = guard.state;
      if (table)
        await this.#enter(
          tx,
          userId,
          settings,
          table,
          tick,
          guard.paused,
          state.lastEntries,
          event.seq,
          live.get(userId) ?? new Set(),
        );
      else this.#entries.inc({ reason: stale ? 'STALE_TICK' : 'NO_QUOTES' });
      if (JSON.stringify(state) !== before) changed.set(userId, state);
    }
    await saveEntryStates(tx, changed);
  }

  async #enter(
    tx: PlatformTransaction,
    userId: string,
    settings: Settings,
    table: StrikeTable,
    tick: PriceTick,
    paused: boolean,
    lastEntries: Record<string, number>,
    seq: number,
    openKeys: ReadonlySet<string>,
  ): Promise<void> {
    const scan = entryDecisions({
      rows: table.rows,
      settings: settings.autoEntry,
      ttcSeconds: (table.closeAt - tick.at) / 1000,
      nowMs: tick.at,
      guard: { paused },
      openKeys,
      lastEntryAt: new Map(Object.entries(lastEntries)),
    });
    if (scan.reason !== null) {
      this.#entries.inc({ reason: scan.reason });
      return;
    }
    for (const entry of scan.entries) {
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
      await addLiveTrade(tx, request);
      lastEntries[entry.ticker] = tick.at;
      this.#entries.inc({ reason: 'ENTERED' });
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
    }
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
