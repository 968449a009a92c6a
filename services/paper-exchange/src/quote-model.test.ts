import { describe, expect, it } from 'vitest';
import { fairYesProbability, normalCdf, quoteMarket } from './quote-model.js';

describe('quote model', () => {
  it('has a correct normal CDF', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.96)).toBeCloseTo(0.975, 3);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 5);
  });

  it('prices the digital with N(d2): deep in the money ≈ 1, at the money ≈ 0.5, expired = 0/1', () => {
    expect(fairYesProbability(100_000, 95_000, 1800, 0.5)).toBeGreaterThan(0.999);
    expect(fairYesProbability(100_000, 99_999.99, 1800, 0.5)).toBeCloseTo(0.5, 2);
    expect(fairYesProbability(100_000, 99_999.99, 0, 0.5)).toBe(1);
    expect(fairYesProbability(99_999.98, 99_999.99, 0, 0.5)).toBe(0);
  });

  it('quotes 1..99 with a 1–2 cent spread, the NO side mirroring the YES side', () => {
    for (let strike = 95_000 - 0.01; strike <= 105_000; strike += 250) {
      for (const sec of [0, 60, 1799]) {
        const q = quoteMarket({
          seed: 1,
          ticker: `T${strike}`,
          sec,
          spot: 100_000,
          strike,
          ttcSec: 1800 - sec,
          annualVolatility: 0.5,
        });
        expect(q.yes_bid).toBeGreaterThanOrEqual(1);
        expect(q.yes_ask).toBeLessThanOrEqual(99);
        expect(q.yes_ask - q.yes_bid).toBeGreaterThanOrEqual(1);
        expect(q.yes_ask - q.yes_bid).toBeLessThanOrEqual(2);
        expect(q.no_bid).toBe(100 - q.yes_ask);
        expect(q.no_ask).toBe(100 - q.yes_bid);
      }
    }
  });

  it('adds a deterministic noise of at most a couple of cents around the fair value', () => {
    const input = {
      seed: 9,
      ticker: 'X',
      sec: 600,
      spot: 100_000,
      strike: 100_249.99,
      ttcSec: 1200,
      annualVolatility: 0.5,
    };
    const fair = fairYesProbability(input.spot, input.strike, input.ttcSec, 0.5) * 100;
    const q = quoteMarket(input);
    expect(quoteMarket(input)).toEqual(q);
    expect(Math.abs((q.yes_bid + q.yes_ask) / 2 - fair)).toBeLessThanOrEqual(3.5);
  });
});
