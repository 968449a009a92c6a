import { momentumPoints } from './momentum.js';
import { MAX_TRADE_COUNT, type AutoEntrySettings } from './settings.js';
import type { Side } from './side.js';
import { watchlist, type StrikeRow } from './strike-table.js';

/** The spike guard's memory between price ticks. */
export interface SpikeGuardState {
  paused: boolean;
  /** Since when |momentum| has stayed below the cooldown threshold while paused; null = not counting. */
  calmSinceMs: number | null;
}

/** A guard that has seen nothing: not paused. */
export const INITIAL_SPIKE_GUARD: SpikeGuardState = Object.freeze({ paused: false, calmSinceMs: null });

/** One spike-guard step: the next state and what the UI shows. */
export interface SpikeGuardStep {
  state: SpikeGuardState;
  paused: boolean;
  /** When entry resumes if |momentum| stays calm; null when not paused or the count has not started. */
  resumesAtMs: number | null;
  /** Seconds until resuming: 0 when not paused, the full cooldown while the count has not started. */
  remainingSeconds: number;
}

type GuardSettings = Pick<AutoEntrySettings, 'spikeThreshold' | 'cooldownThreshold' | 'cooldownMinutes'>;

/**
 * The spike guard (DOMAIN.md "Auto entry" step 1) as a reducer over momentum readings (percent;
 * compared in momentum points, momentum × 100). |points| ≥ spikeThreshold pauses; while paused,
 * the first reading below cooldownThreshold starts the count, any reading ≥ cooldownThreshold
 * stops it (the next calm reading starts afresh), and entry resumes at the first step at least
 * cooldownMinutes after the count started. A null reading (no history) is no evidence either
 * way: it neither pauses, nor starts or stops the count, but time still runs out on a count.
 */
export function spikeGuardStep(
  state: SpikeGuardState,
  momentum: number | null,
  nowMs: number,
  settings: GuardSettings,
): SpikeGuardStep {
  const cooldownMs = settings.cooldownMinutes * 60_000;
  const points = momentum === null ? null : Math.abs(momentumPoints(momentum));
  let paused = state.paused;
  let calmSinceMs = state.calmSinceMs;
  if (points !== null && points >= settings.spikeThreshold) {
    paused = true;
    calmSinceMs = null;
  } else if (paused && points !== null) {
    if (points >= settings.cooldownThreshold) calmSinceMs = null;
    else calmSinceMs ??= nowMs;
  }
  if (paused && calmSinceMs !== null && nowMs - calmSinceMs >= cooldownMs) {
    paused = false;
    calmSinceMs = null;
  }
  if (!paused)
    return { state: { paused: false, calmSinceMs: null }, paused: false, resumesAtMs: null, remainingSeconds: 0 };
  const resumesAtMs = calmSinceMs === null ? null : calmSinceMs + cooldownMs;
  return {
    state: { paused: true, calmSinceMs },
    paused: true,
    resumesAtMs,
    remainingSeconds: (resumesAtMs === null ? cooldownMs : resumesAtMs - nowMs) / 1000,
  };
}

/** Seconds that must pass between two auto entries on the same market ticker. */
export const STRIKE_COOLDOWN_MS = 10_000;

/** An entry to make: buy `count` contracts of `side` at `askCents`, entry_method auto. */
export interface EntryDecision {
  ticker: string;
  strike: number;
  side: Side;
  askCents: number;
  count: number;
  probability: number;
  diff: number;
}

/** Why a scan entered nothing. */
export const NO_ENTRY_REASONS = ['DISABLED', 'SPIKE_PAUSED', 'OUTSIDE_WINDOW', 'NO_CANDIDATE'] as const;
export type NoEntryReason = (typeof NO_ENTRY_REASONS)[number];

/** Inputs of {@link entryDecisions}. */
export interface EntryScan {
  /** Strike-table rows; they are put through `watchlist` here, so the full table may be passed. */
  rows: readonly StrikeRow[];
  settings: AutoEntrySettings;
  ttcSeconds: number;
  nowMs: number;
  guard: { paused: boolean };
  /** `${ticker}:${side}` of every trade open or pending (or closing) for the user. */
  openKeys: ReadonlySet<string>;
  /** Last auto entry per market ticker, ms. */
  lastEntryAt: ReadonlyMap<string, number>;
}

/** The entries a scan makes, or the reason it makes none. */
export type EntryScanResult = { entries: EntryDecision[]; reason: null } | { entries: []; reason: NoEntryReason };

/** The key of `openKeys`: one per market ticker and side. */
export function tradeKey(ticker: string, side: Side): string {
  return `${ticker}:${side}`;
}

/**
 * DOMAIN.md "Auto entry" steps 1–4: nothing when auto entry is off, the spike guard is paused, or
 * TTC is outside [minTimeSeconds, maxTimeSeconds]; else, for each watchlist row on its active
 * side with an ask: the 10 s per-strike cooldown has passed, no open/pending trade on that ticker
 * and side, probability ≥ minProbability and diff ≥ minDifferential → buy at the ask,
 * count = positionSize × multiplier.
 */
export function entryDecisions(scan: EntryScan): EntryScanResult {
  const { settings } = scan;
  if (!settings.enabled) return { entries: [], reason: 'DISABLED' };
  if (scan.guard.paused) return { entries: [], reason: 'SPIKE_PAUSED' };
  if (scan.ttcSeconds < settings.minTimeSeconds || scan.ttcSeconds > settings.maxTimeSeconds) {
    return { entries: [], reason: 'OUTSIDE_WINDOW' };
  }
  const entries: EntryDecision[] = [];
  for (const row of watchlist(scan.rows, settings)) {
    const side = row.activeSide;
    const ask = side === 'yes' ? row.yesAsk : row.noAsk;
    if (ask === null || row.diff === null) continue;
    const last = scan.lastEntryAt.get(row.ticker);
    if (last !== undefined && scan.nowMs - last < STRIKE_COOLDOWN_MS) continue;
    if (scan.openKeys.has(tradeKey(row.ticker, side))) continue;
    if (row.probability < settings.minProbability || row.diff < settings.minDifferential) continue;
    // Settings stored before the bound: no entry a trade could not hold (it would be refused).
    if (settings.positionSize * settings.multiplier > MAX_TRADE_COUNT) continue;
    entries.push({
      ticker: row.ticker,
      strike: row.strike,
      side,
      askCents: ask,
      count: settings.positionSize * settings.multiplier,
      probability: row.probability,
      diff: row.diff,
    });
  }
  return entries.length > 0 ? { entries, reason: null } : { entries: [], reason: 'NO_CANDIDATE' };
}
