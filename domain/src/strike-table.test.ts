import { describe, expect, it } from 'vitest';
import { DigitalOptionModel } from './probability.js';
import { DEFAULT_SETTINGS } from './settings.js';
import { buildStrikeTable, watchlist, type MarketQuote, type StrikeRow } from './strike-table.js';
import { strikeGrid } from './strikes.js';
import { marketTicker } from './time.js';

const EVENT = 'KXBTCD-25JUL1617';
const CLOSE = Date.parse('2025-07-16T21:00:00Z');
const NOW = CLOSE - 600_000; // TTC 600 s
const model = new DigitalOptionModel();

function quote(strike: number, yesAsk: number | null = 50, noAsk: number | null = 50): MarketQuote {
  return { ticker: marketTicker(EVENT, strike), strike, yesAsk, noAsk, volume: 5000 };
}

describe('buildStrikeTable', () => {
  // 25 listed strikes around 100 000 (n = 388..412), one with no NO offer, plus a market of another event.
  const special: Record<number, MarketQuote> = {
    99749.99: quote(99749.99, 80, 22),
    100249.99: quote(100249.99, 10, null),
  };
  const markets = [
    ...strikeGrid(100000, 25).map((strike) => special[strike] ?? quote(strike)),
    { ...quote(100000.5), ticker: marketTicker('KXBTCD-25JUL1618', 100000.5) },
  ];
  const rows = buildStrikeTable({
    price: 100000,
    nowMs: NOW,
    closeMs: CLOSE,
    eventTicker: EVENT,
    markets,
    momentum: null,
    volatility: 0.5,
    model,
  });

  it('keeps the 21 strikes of the event nearest spot, ascending', () => {
    expect(rows).toHaveLength(21);
    // Nearest strike 99 999.99 (n = 400) in the middle; n = 390..410 → 97 499.99 … 102 499.99.
    expect(rows[10]?.strike).toBe(99999.99);
    expect(rows[0]?.strike).toBe(97499.99);
    expect(rows[20]?.strike).toBe(102499.99);
    // The other event's 100 000.50, nearest of all, is not in the table.
    expect(rows.some((r) => r.strike === 100000.5)).toBe(false);
  });

  it('prices each row with the model and the diffs (worked row)', () => {
    const row = rows.find((r) => r.strike === 99749.99) as StrikeRow;
    // Buffer 100 000 − 99 749.99 = 250.01 = 0.25001 % of spot; strike < price → YES active.
    // YES = N(d2) = 87.4245 % (see probability.test.ts), NO = 12.5755 %.
    // yesDiff = 87.4245 − 80 = 7.4245; noDiff = 12.5755 − 22 = −9.4245; diff = yesDiff.
    expect(row.buffer).toBeCloseTo(250.01, 9);
    expect(row.bufferPct).toBeCloseTo(0.25001, 9);
    expect(row.ttcSeconds).toBe(600);
    expect(row.activeSide).toBe('yes');
    expect(row.yesProbability).toBeCloseTo(87.424494318, 6);
    expect(row.noProbability).toBeCloseTo(12.575505682, 6);
    expect(row.probability).toBe(row.yesProbability);
    expect(row.yesDiff).toBeCloseTo(7.424494318, 6);
    expect(row.noDiff).toBeCloseTo(-9.424494318, 6);
    expect(row.diff).toBe(row.yesDiff);
    expect(row.volume).toBe(5000);
  });

  it('makes NO the active side above spot, with a null diff when nobody offers it', () => {
    const row = rows.find((r) => r.strike === 100249.99) as StrikeRow;
    expect(row.activeSide).toBe('no');
    expect(row.buffer).toBeCloseTo(249.99, 9);
    expect(row.probability).toBe(row.noProbability);
    expect(row.noAsk).toBeNull();
    expect(row.noDiff).toBeNull();
    expect(row.diff).toBeNull();
    expect(row.yesDiff).toBeCloseTo(row.yesProbability - 10, 12);
  });

  it('takes TTC from the event close and answers 50 once it has passed', () => {
    const late = buildStrikeTable({
      price: 100000,
      nowMs: CLOSE,
      closeMs: CLOSE,
      eventTicker: EVENT,
      markets,
      momentum: null,
      volatility: 0.5,
      model,
    });
    expect(late[0]?.ttcSeconds).toBe(0);
    expect(late.every((r) => r.yesProbability === 50 && r.noProbability === 50)).toBe(true);
  });
});

describe('watchlist', () => {
  // Defaults: probability > 95 − 5 = 90 and diff ≥ 0.25 − 3 = −2.75.
  const base: StrikeRow = {
    ticker: 'T',
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
  };
  const admitted = (patch: Partial<StrikeRow>): boolean =>
    watchlist([{ ...base, ...patch }], DEFAULT_SETTINGS.autoEntry).length === 1;

  it('admits a liquid row near the thresholds', () => {
    expect(admitted({})).toBe(true);
  });

  it('needs volume ≥ 1000', () => {
    expect(admitted({ volume: 1000 })).toBe(true);
    expect(admitted({ volume: 999 })).toBe(false);
  });

  it('needs max(yesAsk, noAsk) ≤ 98', () => {
    expect(admitted({ yesAsk: 98 })).toBe(true);
    expect(admitted({ yesAsk: 99 })).toBe(false);
    expect(admitted({ noAsk: 99 })).toBe(false);
    // A missing ask on the inactive side does not count; on the active side there is nothing to buy.
    expect(admitted({ noAsk: null, noDiff: null })).toBe(true);
    expect(admitted({ yesAsk: null, yesDiff: null, diff: null })).toBe(false);
  });

  it('needs probability > min − 5 (strictly) and diff ≥ min_differential − 3', () => {
    expect(admitted({ probability: 90 })).toBe(false);
    expect(admitted({ probability: 90.01 })).toBe(true);
    expect(admitted({ diff: -2.75 })).toBe(true); // 0.25 − 3 = −2.75 exactly
    expect(admitted({ diff: -2.76 })).toBe(false);
  });
});
