import { describe, expect, it } from 'vitest';
import { PricePath } from './price-path.js';
import { World } from './world.js';

const START = Date.parse('2025-07-16T20:30:00Z');

function prices(world: World, seconds: number): number[] {
  const out: number[] = [];
  for (let s = 0; s <= seconds; s++) out.push(world.path.priceAt(world.startSec + s));
  return out;
}

describe('World determinism', () => {
  it('gives the same price path and quotes for the same seed, in any query order', () => {
    const a = new World({ seed: 'alpha', startMs: START });
    const b = new World({ seed: 'alpha', startMs: START });
    // b is queried backwards first: the path must not depend on the order of queries.
    for (let s = 7200; s >= 0; s -= 997) b.path.priceAt(b.startSec + s);
    expect(prices(a, 7200)).toEqual(prices(b, 7200));
    a.advanceTo(START + 2 * 3600_000);
    b.advanceTo(START + 2 * 3600_000);
    const ea = a.book.activeEvent();
    const eb = b.book.activeEvent();
    expect(ea?.eventTicker).toBe(eb?.eventTicker);
    const qa = ea?.markets.map((m) => a.book.quote(m, a.nowSec()));
    const qb = eb?.markets.map((m) => b.book.quote(m, b.nowSec()));
    expect(qa).toEqual(qb);
    expect(ea?.markets.map((m) => m.baseVolume)).toEqual(eb?.markets.map((m) => m.baseVolume));
  });

  it('gives a different path for a different seed', () => {
    const a = new World({ seed: 1, startMs: START });
    const b = new World({ seed: 2, startMs: START });
    const pa = prices(a, 600);
    const pb = prices(b, 600);
    expect(pa[0]).toBe(pb[0]); // same start price
    expect(pa.slice(1)).not.toEqual(pb.slice(1));
  });

  it('moves like ~50% annual volatility: 1-second log returns have sd ≈ 0.5/√(seconds a year)', () => {
    const path = new PricePath({ seed: 7, startMs: START });
    const returns: number[] = [];
    let previous = path.priceAt(path.startSec);
    for (let s = 1; s <= 50_000; s++) {
      const price = path.priceAt(path.startSec + s);
      returns.push(Math.log(price / previous));
      previous = price;
    }
    const mean = returns.reduce((x, y) => x + y, 0) / returns.length;
    const sd = Math.sqrt(returns.reduce((x, y) => x + (y - mean) ** 2, 0) / returns.length);
    const expected = 0.5 / Math.sqrt(365 * 24 * 3600); // ≈ 8.9e-5
    expect(sd).toBeGreaterThan(expected * 0.9);
    expect(sd).toBeLessThan(expected * 1.1);
  });

  it('applies a scheduled shock on top of the same noise: -3% over 10 s', () => {
    const plain = new PricePath({ seed: 3, startMs: START });
    const shocked = new PricePath({ seed: 3, startMs: START, shocks: [{ atMs: 60_000, pct: -3, overSeconds: 10 }] });
    const s0 = plain.startSec;
    expect(shocked.priceAt(s0 + 60)).toBe(plain.priceAt(s0 + 60)); // nothing before the shock
    const mid = shocked.priceAt(s0 + 65) / plain.priceAt(s0 + 65);
    expect(mid).toBeGreaterThan(0.97);
    expect(mid).toBeLessThan(1);
    for (const s of [70, 500, 3000]) {
      expect(shocked.priceAt(s0 + s) / plain.priceAt(s0 + s)).toBeCloseTo(0.97, 4);
    }
  });
});
