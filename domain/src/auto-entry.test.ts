import { describe, expect, it } from 'vitest';
import {
  INITIAL_SPIKE_GUARD,
  STRIKE_COOLDOWN_MS,
  entryDecisions,
  spikeGuardStep,
  tradeKey,
  type EntryScan,
  type SpikeGuardStep,
} from './auto-entry.js';
import { DEFAULT_SETTINGS } from './settings.js';
import type { StrikeRow } from './strike-table.js';

const T0 = Date.UTC(2025, 6, 16, 20, 0);
const S = 1000;
const guardSettings = DEFAULT_SETTINGS.autoEntry; // spike 36, cooldown 30 points for 15 min

describe('spikeGuardStep', () => {
  /** Runs readings (seconds after T0 → momentum %) through the reducer, returning every step. */
  function run(readings: [number, number | null][]): SpikeGuardStep[] {
    let state = INITIAL_SPIKE_GUARD;
    return readings.map(([t, m]) => {
      const step = spikeGuardStep(state, m, T0 + t * S, guardSettings);
      state = step.state;
      return step;
    });
  }

  it('pauses at |momentum| ≥ 36 points and resumes after 15 calm minutes', () => {
    const steps = run([
      [0, 0.2], // 20 points: calm, not paused
      [1, 0.36], // 36 points ≥ 36: paused; count not started → 900 s shown
      [2, 0.29], // 29 < 30: count starts at t = 2, resumes at 2 + 900 = 902
      [302, -0.25], // still calm: 902 − 302 = 600 s left
      [901, 0.1], // 1 s left
      [902, 0.1], // 900 s after t = 2: resumed
    ]);
    expect(steps.map((s) => s.paused)).toEqual([false, true, true, true, true, false]);
    expect(steps.map((s) => s.remainingSeconds)).toEqual([0, 900, 900, 600, 1, 0]);
    expect(steps[2]?.resumesAtMs).toBe(T0 + 902 * S);
    expect(steps[1]?.resumesAtMs).toBeNull();
    expect(steps[5]?.state).toEqual(INITIAL_SPIKE_GUARD);
  });

  it('pauses on a falling spike too', () => {
    expect(run([[0, -0.36]])[0]?.paused).toBe(true);
    expect(run([[0, -0.359]])[0]?.paused).toBe(false);
  });

  it('restarts the count on a reading ≥ the cooldown threshold', () => {
    const steps = run([
      [0, 0.4], // paused
      [10, 0.1], // count from 10 → would resume at 910
      [400, -0.31], // 31 ≥ 30 (below 36): count stopped, still paused
      [401, 0.1], // count from 401 → resumes at 1301
      [910, 0.1], // the old deadline passes without effect
      [1300, 0.1],
      [1301, 0.1],
    ]);
    expect(steps[2]).toMatchObject({ paused: true, resumesAtMs: null, remainingSeconds: 900 });
    expect(steps[3]?.resumesAtMs).toBe(T0 + 1301 * S);
    expect(steps[4]).toMatchObject({ paused: true, remainingSeconds: 391 }); // 1301 − 910
    expect(steps[5]).toMatchObject({ paused: true, remainingSeconds: 1 });
    expect(steps[6]?.paused).toBe(false);
  });

  it('treats exactly the cooldown threshold as not calm', () => {
    const steps = run([
      [0, 0.4],
      [1, 0.3], // 30 points: not below 30 → no count
    ]);
    expect(steps[1]?.resumesAtMs).toBeNull();
  });

  it('neither starts nor stops the count on a null reading, but lets time run out', () => {
    const steps = run([
      [0, 0.4],
      [1, null], // no count yet: stays unstarted
      [2, 0.1], // count from 2
      [500, null], // count keeps running: 402 s left
      [902, null], // 900 s after 2: resumes
    ]);
    expect(steps[1]?.resumesAtMs).toBeNull();
    expect(steps[3]).toMatchObject({ paused: true, remainingSeconds: 402 });
    expect(steps[4]?.paused).toBe(false);
    expect(run([[0, null]])[0]?.paused).toBe(false);
  });

  it('resumes on the first calm reading with a zero cooldown', () => {
    const settings = { ...guardSettings, cooldownMinutes: 0 };
    const paused = spikeGuardStep(INITIAL_SPIKE_GUARD, 0.5, T0, settings);
    expect(paused.paused).toBe(true);
    expect(spikeGuardStep(paused.state, 0.1, T0 + S, settings).paused).toBe(false);
  });
});

describe('entryDecisions', () => {
  const settings = { ...DEFAULT_SETTINGS.autoEntry, enabled: true, positionSize: 2, multiplier: 3 };
  /** A watchlist-worthy row; yes active by default. */
  function row(ticker: string, patch: Partial<StrikeRow> = {}): StrikeRow {
    return {
      ticker,
      strike: 99749.99,
      buffer: 250.01,
      bufferPct: 0.25,
      ttcSeconds: 600,
      activeSide: 'yes',
      yesProbability: 96,
      noProbability: 4,
      probability: 96,
      yesAsk: 93,
      noAsk: 8,
      yesDiff: 3,
      noDiff: -4,
      diff: 3,
      volume: 1500,
      ...patch,
    };
  }
  const scan = (patch: Partial<EntryScan>): EntryScan => ({
    rows: [row('A')],
    settings,
    ttcSeconds: 600,
    nowMs: T0,
    guard: { paused: false },
    openKeys: new Set(),
    lastEntryAt: new Map(),
    ...patch,
  });

  it('buys the active side at the ask, count = position_size × multiplier', () => {
    // 2 × 3 = 6 contracts at 93 ¢.
    expect(entryDecisions(scan({}))).toEqual({
      entries: [{ ticker: 'A', strike: 99749.99, side: 'yes', askCents: 93, count: 6, probability: 96, diff: 3 }],
      reason: null,
    });
    // A NO-active row (strike above spot) buys NO at the NO ask: 95 ≥ 95 and 95 − 94 = 1 ≥ 0.25.
    const no = row('B', {
      activeSide: 'no',
      strike: 100249.99,
      noProbability: 95,
      probability: 95,
      noAsk: 94,
      noDiff: 1,
      diff: 1,
      yesAsk: 5,
    });
    expect(entryDecisions(scan({ rows: [no] })).entries).toEqual([
      { ticker: 'B', strike: 100249.99, side: 'no', askCents: 94, count: 6, probability: 95, diff: 1 },
    ]);
  });

  it('enters nothing a trade could not hold: settings stored before the bound (more than MAX_TRADE_COUNT contracts)', () => {
    expect(entryDecisions(scan({ settings: { ...settings, positionSize: 200, multiplier: 100 } })).reason).toBe(
      'NO_CANDIDATE',
    );
    expect(entryDecisions(scan({ settings: { ...settings, positionSize: 100, multiplier: 100 } })).entries).toEqual([
      expect.objectContaining({ count: 10_000 }),
    ]);
  });

  it('says why nothing was entered: disabled, paused, outside the TTC window', () => {
    expect(entryDecisions(scan({ settings: { ...settings, enabled: false } })).reason).toBe('DISABLED');
    expect(entryDecisions(scan({ guard: { paused: true } })).reason).toBe('SPIKE_PAUSED');
    // Window [120, 900] inclusive.
    expect(entryDecisions(scan({ ttcSeconds: 119 })).reason).toBe('OUTSIDE_WINDOW');
    expect(entryDecisions(scan({ ttcSeconds: 901 })).reason).toBe('OUTSIDE_WINDOW');
    expect(entryDecisions(scan({ ttcSeconds: 120 })).entries).toHaveLength(1);
    expect(entryDecisions(scan({ ttcSeconds: 900 })).entries).toHaveLength(1);
  });

  it('requires probability ≥ min_probability and diff ≥ min_differential', () => {
    // 94.9 is on the watchlist (> 90) but below 95; diff 0.2 is on it (≥ −2.75) but below 0.25.
    expect(entryDecisions(scan({ rows: [row('A', { probability: 94.9 })] }))).toEqual({
      entries: [],
      reason: 'NO_CANDIDATE',
    });
    expect(entryDecisions(scan({ rows: [row('A', { diff: 0.2 })] })).reason).toBe('NO_CANDIDATE');
    expect(entryDecisions(scan({ rows: [row('A', { diff: 0.25 })] })).entries).toHaveLength(1);
  });

  it('applies the watchlist rules to the rows it is given', () => {
    expect(entryDecisions(scan({ rows: [row('A', { volume: 999 })] })).reason).toBe('NO_CANDIDATE');
    expect(entryDecisions(scan({ rows: [row('A', { noAsk: 99 })] })).reason).toBe('NO_CANDIDATE');
  });

  it('waits 10 s between entries on one strike', () => {
    expect(STRIKE_COOLDOWN_MS).toBe(10_000);
    const rows = [row('A'), row('B')];
    const lastEntryAt = new Map([
      ['A', T0 - 9_999], // 9.999 s ago: too soon
      ['B', T0 - 10_000], // 10 s ago: passed
    ]);
    expect(entryDecisions(scan({ rows, lastEntryAt })).entries.map((e) => e.ticker)).toEqual(['B']);
  });

  it('skips a ticker and side with an open or pending trade, not the other side', () => {
    const rows = [row('A'), row('B')];
    const result = entryDecisions(scan({ rows, openKeys: new Set([tradeKey('A', 'yes'), tradeKey('B', 'no')]) }));
    expect(result.entries.map((e) => e.ticker)).toEqual(['B']);
  });
});
