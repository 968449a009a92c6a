import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from './errors.js';
import type { PricePoint } from './momentum.js';
import { SECONDS_PER_YEAR, estimateVolatility } from './volatility.js';

const NOW = Date.UTC(2025, 6, 16, 20, 50);
const MIN = 60_000;

/** One point a minute for `minutes` minutes up to now, log return alternating ±r each minute. */
function zigzag(minutes: number, r: number, skipMinutesAgo: number[] = []): PricePoint[] {
  const points: PricePoint[] = [];
  for (let ago = minutes; ago >= 0; ago -= 1) {
    if (skipMinutesAgo.includes(ago)) continue;
    points.push({ ts: NOW - ago * MIN, price: 100000 * Math.exp(ago % 2 === 0 ? 0 : r) });
  }
  return points;
}

describe('estimateVolatility', () => {
  it('annualises the one-minute log returns of the last 30 minutes', () => {
    // 30 returns of ±0.001: mean(r²) = 1e-6; periods a year = 31 536 000 / 60 = 525 600;
    // σ = sqrt(1e-6 × 525 600) = 0.001 × 724.98 = 0.72498.
    expect(SECONDS_PER_YEAR / 60).toBe(525600);
    expect(estimateVolatility(zigzag(30, 0.001), NOW)).toBeCloseTo(0.001 * Math.sqrt(525600), 10);
    expect(estimateVolatility(zigzag(30, 0.001), NOW)).toBeCloseTo(0.72498, 5);
  });

  it('drops the returns around a gap instead of bridging it', () => {
    // Minute 15 missing: the sample at 15 min has no point within 30 s, so the returns 16→15 and
    // 15→14 are dropped; the 28 left are all ±0.001, so σ is unchanged. Bridging the gap with
    // the point of minute 16 would have added a zero return and lowered σ.
    expect(estimateVolatility(zigzag(30, 0.001, [15]), NOW)).toBeCloseTo(0.72498, 5);
  });

  it('ignores history older than the window', () => {
    // A huge swing 40 min ago does not count: only minutes 0..30 are sampled.
    const h = [{ ts: NOW - 40 * MIN, price: 1 }, ...zigzag(30, 0.001)];
    expect(estimateVolatility(h, NOW)).toBeCloseTo(0.72498, 5);
  });

  it('defaults to 0.5 with fewer than 10 returns', () => {
    expect(estimateVolatility([], NOW)).toBe(0.5);
    // 9 minutes → 9 returns.
    expect(estimateVolatility(zigzag(9, 0.001), NOW)).toBe(0.5);
    // 10 minutes → 10 returns: estimated.
    expect(estimateVolatility(zigzag(10, 0.001), NOW)).toBeCloseTo(0.72498, 5);
  });

  it('clamps to the floor 0.1 and the ceiling 3', () => {
    expect(estimateVolatility(zigzag(30, 0), NOW)).toBe(0.1);
    // ±0.01 a minute → 0.01 × 724.98 = 7.25 → 3.
    expect(estimateVolatility(zigzag(30, 0.01), NOW)).toBe(3);
  });

  it('honours its options and rejects bad ones', () => {
    // 5-minute step over 30 min: the zigzag has period 2 min, so every 5-minute return is ±0.001
    // too (odd spacing); σ = sqrt(1e-6 × 31 536 000 / 300) = 0.001 × 324.22 = 0.32422.
    expect(estimateVolatility(zigzag(30, 0.001), NOW, { stepMs: 5 * MIN, minReturns: 6 })).toBeCloseTo(
      0.001 * Math.sqrt(105120),
      10,
    );
    expect(() => estimateVolatility([], NOW, { stepMs: 10 })).toThrow(InvalidOptionError);
    expect(() => estimateVolatility([], NOW, { floor: 2, ceiling: 1 })).toThrow(/option ceiling/);
  });
});
