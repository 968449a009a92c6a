import { describe, expect, it } from 'vitest';
import {
  MOMENTUM_HISTORY_MS,
  averagePrice,
  changePct,
  momentum,
  momentumBucket,
  momentumPoints,
  priceAt,
  type PricePoint,
} from './momentum.js';

const NOW = Date.UTC(2025, 6, 16, 20, 50);
const S = 1000;
const MIN = 60 * S;

/** A history from (seconds ago → price) pairs, sorted ascending as the functions require. */
function history(points: Record<number, number>): PricePoint[] {
  return Object.entries(points)
    .map(([ago, price]) => ({ ts: NOW - Number(ago) * S, price }))
    .sort((a, b) => a.ts - b.ts);
}

describe('priceAt', () => {
  it('takes the last point at or before the instant, at most 60 s older', () => {
    const h = history({ 200: 1, 100: 2, 0: 3 });
    expect(priceAt(h, NOW)).toBe(3);
    expect(priceAt(h, NOW - 50 * S)).toBe(2); // the point 100 s ago is 50 s older: kept
    expect(priceAt(h, NOW - 150 * S)).toBe(1);
  });

  it('drops a point more than 60 s older than the instant', () => {
    const h = history({ 100: 2 });
    expect(priceAt(h, NOW - 40 * S)).toBe(2); // exactly 60 s
    expect(priceAt(h, NOW - 39 * S)).toBeNull(); // 61 s
    expect(priceAt(h, NOW - 101 * S)).toBeNull(); // before the first point
    expect(priceAt([], NOW)).toBeNull();
  });
});

describe('momentum', () => {
  it('weights all six windows when they all have data', () => {
    const h = history({ 1800: 99000, 900: 100000, 240: 100600, 180: 100700, 120: 100800, 60: 100900, 0: 101000 });
    // Percent changes of 101 000 against each window, weighted .30/.25/.20/.15/.05/.05 (sum 1):
    const expected =
      0.3 * ((100 / 100900) * 100) + // 1 min: +0.0991 %
      0.25 * ((200 / 100800) * 100) + // 2 min: +0.1984 %
      0.2 * ((300 / 100700) * 100) + // 3 min: +0.2979 %
      0.15 * ((400 / 100600) * 100) + // 4 min: +0.3976 %
      0.05 * ((1000 / 100000) * 100) + // 15 min: +1 %
      0.05 * ((2000 / 99000) * 100); // 30 min: +2.0202 %
    expect(momentum(h, NOW)).toBeCloseTo(expected, 12);
    expect(expected).toBeCloseTo(0.34957, 5); // 0.02973 + 0.04960 + 0.05958 + 0.05964 + 0.05 + 0.10101
  });

  it('renormalises over the windows that have data', () => {
    const h = history({ 120: 99900, 60: 100000, 0: 100100 });
    // Only 1 and 2 min: c1 = 100/100 000 = 0.1 %, c2 = 200/99 900 = 0.2002 %;
    // (0.30 × 0.1 + 0.25 × 0.2002) / 0.55 = 0.08005 / 0.55 = 0.14555 %.
    const c1 = 0.1;
    const c2 = (200 / 99900) * 100;
    expect(momentum(h, NOW)).toBeCloseTo((0.3 * c1 + 0.25 * c2) / 0.55, 12);
    expect(momentum(h, NOW)).toBeCloseTo(0.14555, 5);
  });

  it('ignores a window whose nearest earlier point is more than 60 s older', () => {
    // 1-min instant (60 s ago): last earlier point is 121 s ago, 61 s older → no data.
    // 2-min instant (120 s ago): that point is 1 s older → c2 = 0.1 %; the result is c2 alone.
    const h = history({ 121: 100000, 0: 100100 });
    expect(momentum(h, NOW)).toBeCloseTo(0.1, 12);
  });

  it('is null without a current price or without any window', () => {
    expect(momentum([], NOW)).toBeNull();
    expect(momentum(history({ 0: 100000 }), NOW)).toBeNull();
    expect(momentum(history({ 30: 100000 }), NOW)).toBeNull();
    // The current price is 61 s stale.
    expect(momentum(history({ 181: 99000, 61: 100000 }), NOW)).toBeNull();
  });

  it('keeps a bounded window: 30 min + 60 s tolerance + 60 s margin', () => {
    expect(MOMENTUM_HISTORY_MS).toBe(32 * MIN);
    // The oldest point momentum can read is 30 min + 60 s old; it lies inside the window.
    const h = history({ 1860: 99000, 0: 100000 });
    expect(momentum(h, NOW)).toBeCloseTo((1000 / 99000) * 100, 12);
  });
});

describe('momentumBucket / momentumPoints', () => {
  it('rounds momentum × 100 and clamps to ±30', () => {
    expect(momentumBucket(0.1234)).toBe(12); // 12.34 → 12
    expect(momentumBucket(0.125)).toBe(13); // 12.5 → 13 (half up)
    expect(momentumBucket(-0.125)).toBe(-12); // −12.5 → −12 (Math.round: half towards +∞)
    expect(momentumBucket(0.5)).toBe(30); // 50 → clamp 30
    expect(momentumBucket(-0.45)).toBe(-30); // −45 → clamp −30
    expect(Object.is(momentumBucket(-0.004), 0)).toBe(true); // −0.4 → −0 → 0
  });

  it('scales without clamping for the thresholds', () => {
    expect(momentumPoints(0.36)).toBe(36);
    expect(momentumPoints(0.07)).toBe(7); // 0.07 × 100 is 7.000000000000001 in binary
    expect(momentumPoints(-0.5)).toBe(-50);
  });
});

describe('averagePrice / changePct', () => {
  it('averages the points in (now − window, now]', () => {
    // 60 s window: the points 59, 30 and 0 s ago (2, 4, 6) → 4; 60 s ago is out, the future is out.
    const h = history({ 90: 1, 60: 100, 59: 2, 30: 4, 0: 6, [-5]: 1000 });
    expect(averagePrice(h, NOW, MIN)).toBe(4);
    expect(averagePrice(h, NOW - 200 * S, MIN)).toBeNull();
  });

  it('gives the percent change against 1 h ago, null without data', () => {
    const h = history({ 3600: 100000, 0: 101000 });
    // (101 000 − 100 000) / 100 000 = 1 %.
    expect(changePct(h, NOW, 60 * MIN)).toBeCloseTo(1, 12);
    expect(changePct(h, NOW, 3 * 60 * MIN)).toBeNull();
    expect(changePct(h, NOW, 24 * 60 * MIN)).toBeNull();
  });
});
