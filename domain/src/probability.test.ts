import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from './errors.js';
import { normalCdf } from './normal.js';
import {
  DigitalOptionModel,
  MOMENTUM_HORIZON_SECONDS,
  hasProbabilityData,
  type ProbabilityInput,
} from './probability.js';

describe('normalCdf', () => {
  it('matches known values of Φ to 1e-9', () => {
    // Reference values of the standard normal CDF (to 16 digits).
    const known: [number, number][] = [
      [0, 0.5],
      [0.5, 0.6914624612740131],
      [1, 0.8413447460685429],
      [1.96, 0.9750021048517795],
      [2, 0.9772498680518208],
      [3, 0.9986501019683699],
      [-1, 0.15865525393145707],
      [-2, 0.022750131948179195],
      [-3, 0.0013498980316300933],
      [-5, 2.866515718791933e-7],
      [8, 0.9999999999999993],
    ];
    for (const [x, phi] of known) expect(Math.abs(normalCdf(x) - phi), `Φ(${x})`).toBeLessThan(1e-9);
  });

  it('is symmetric and saturates in the tails', () => {
    for (const x of [0.1, 0.7, 1.3, 2.9, 6.5, 7.5]) expect(normalCdf(x) + normalCdf(-x)).toBeCloseTo(1, 14);
    expect(normalCdf(-40)).toBe(0);
    expect(normalCdf(40)).toBe(1);
    expect(normalCdf(NaN)).toBeNaN();
  });
});

describe('DigitalOptionModel', () => {
  const model = new DigitalOptionModel();
  const base: ProbabilityInput = {
    price: 100000,
    strike: 99749.99,
    side: 'yes',
    ttcSeconds: 600,
    momentum: null,
    volatility: 0.5,
  };

  it('prices YES as N(d2) in percent (worked example)', () => {
    // S = 100 000, K = 99 749.99, T = 600 / 31 536 000 = 1.90259e-5 y, σ = 0.5, μ = 0:
    // ln(S/K) = 0.00250323; (μ − σ²/2)T = −0.125 × 1.90259e-5 = −2.3782e-6;
    // σ√T = 0.5 × 0.00436187 = 0.00218093; d2 = (0.00250323 − 0.0000023782) / 0.00218093 = 1.146689;
    // N(1.146689) = 0.874245 → 87.4245 %; NO = 100 − 87.4245 = 12.5755 %.
    const d2 = (Math.log(100000 / 99749.99) - 0.125 * (600 / 31536000)) / (0.5 * Math.sqrt(600 / 31536000));
    expect(d2).toBeCloseTo(1.146689156, 8);
    expect(model.d2(base)).toBeCloseTo(d2, 12);
    expect(model.probability(base)).toBeCloseTo(87.424494318, 6);
    expect(model.probability({ ...base, side: 'no' })).toBeCloseTo(12.575505682, 6);
  });

  it('uses σ = 0.5 when the volatility is unknown', () => {
    expect(model.probability({ ...base, volatility: null })).toBe(model.probability(base));
    expect(model.probability({ ...base, volatility: 0 })).toBe(model.probability(base));
  });

  it('tilts with a bounded momentum drift', () => {
    // Horizon = 4.25 min = 255 s. μ = 0.1 × (0.1 / 100) / (255 / 31 536 000) = 12.367 / y.
    expect(MOMENTUM_HORIZON_SECONDS).toBeCloseTo(255, 9);
    expect(model.drift(0.1)).toBeCloseTo((0.1 * 0.001) / (255 / 31536000), 9);
    expect(model.drift(0.1)).toBeCloseTo(12.367, 3);
    // d2 = (0.00250323 + (12.367 − 0.125) × 1.90259e-5) / 0.00218093 = 1.254576 → 89.5184 %.
    expect(model.probability({ ...base, momentum: 0.1 })).toBeCloseTo(89.518365138, 6);
    // 0.5 % momentum gives 61.8 / y: bounded at 25; falling momentum bounded at −25.
    expect(model.drift(0.5)).toBe(25);
    expect(model.drift(-0.5)).toBe(-25);
    expect(model.drift(null)).toBe(0);
    expect(new DigitalOptionModel({ momentumPersistence: 0 }).drift(0.3)).toBe(0);
  });

  it('caps at 99.9 / 0.1 however large the buffer', () => {
    const deep = { ...base, strike: 50000 };
    expect(model.probability(deep)).toBe(99.9);
    expect(model.probability({ ...deep, side: 'no' })).toBe(0.1);
    const far = { ...base, strike: 200000 };
    expect(model.probability(far)).toBe(0.1);
    expect(model.probability({ ...far, side: 'no' })).toBe(99.9);
  });

  it('answers exactly 50 without data: price or TTC missing, zero or negative', () => {
    const noData: Partial<ProbabilityInput>[] = [
      { price: null },
      { price: 0 },
      { price: -1 },
      { ttcSeconds: null },
      { ttcSeconds: 0 },
      { ttcSeconds: -5 },
      { price: NaN },
    ];
    for (const patch of noData) {
      for (const side of ['yes', 'no'] as const) {
        const input = { ...base, ...patch, side };
        expect(hasProbabilityData(input)).toBe(false);
        expect(model.probability(input), JSON.stringify(patch)).toBe(50);
      }
    }
  });

  it('gives YES + NO = 100 and is monotone in the price', () => {
    for (const price of [99000, 99700, 99749.99, 99800, 100500]) {
      const yes = model.probability({ ...base, price });
      expect(yes + model.probability({ ...base, price, side: 'no' })).toBeCloseTo(100, 12);
    }
    expect(model.probability({ ...base, price: 99749.99 })).toBeLessThan(50); // −σ²/2 drift: just under 50
    expect(model.probability({ ...base, price: 99800 })).toBeLessThan(model.probability({ ...base, price: 100000 }));
  });

  it('rejects bad options, naming them', () => {
    expect(() => new DigitalOptionModel({ defaultVolatility: 0 })).toThrow(InvalidOptionError);
    expect(() => new DigitalOptionModel({ maxDrift: -1 })).toThrow(/option maxDrift/);
    expect(() => new DigitalOptionModel({ momentumPersistence: NaN })).toThrow(/option momentumPersistence/);
  });
});
