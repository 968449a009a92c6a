import { describe, expect, it } from 'vitest';
import { InvalidTableRowError } from './errors.js';
import { LookupTableModel, type LookupRow } from './lookup-table.js';
import { DigitalOptionModel, type ProbabilityInput } from './probability.js';

const fallback = new DigitalOptionModel();
const rows: LookupRow[] = [
  { ttcBucket: 10, bufferBucket: 25, momentumBucket: 0, probability: 80 },
  { ttcBucket: 10, bufferBucket: 24, momentumBucket: -10, probability: 70 },
  { ttcBucket: 1, bufferBucket: 100, momentumBucket: 0, probability: 100 },
];
const table = LookupTableModel.fromRows(rows, fallback);
const yesInMoney: ProbabilityInput = {
  price: 100000,
  strike: 99749.99,
  side: 'yes',
  ttcSeconds: 600,
  momentum: null,
  volatility: null,
};

describe('LookupTableModel', () => {
  it('looks up (TTC, buffer, momentum) buckets for the side in the money', () => {
    // TTC 600 s / 60 = bucket 10; buffer 250.01 / 10 = bucket 25; null momentum → bucket 0.
    expect(table.keyOf(yesInMoney)).toBe('10:25:0');
    expect(table.probability(yesInMoney)).toBe(80);
    // The other side gets 100 − 80.
    expect(table.probability({ ...yesInMoney, side: 'no' })).toBe(20);
    // 659 s is still bucket 10.
    expect(table.probability({ ...yesInMoney, ttcSeconds: 659 })).toBe(80);
  });

  it('signs the momentum towards the money for an in-the-money NO', () => {
    // Strike 100 249.99 > price → NO in the money; buffer 249.99 → bucket 24. Momentum +0.1 %
    // (price rising, towards the strike) is bucket +10 raw, −10 towards NO's money.
    const noInMoney = { ...yesInMoney, strike: 100249.99, side: 'no' as const, momentum: 0.1 };
    expect(table.keyOf(noInMoney)).toBe('10:24:-10');
    expect(table.probability(noInMoney)).toBe(70);
    expect(table.probability({ ...noInMoney, side: 'yes' })).toBe(30);
  });

  it('falls back to the given model for a missing key', () => {
    const missing = { ...yesInMoney, ttcSeconds: 300 };
    expect(table.keyOf(missing)).toBe('5:25:0');
    expect(table.probability(missing)).toBe(fallback.probability(missing));
    expect(table.probability({ ...missing, side: 'no' })).toBe(fallback.probability({ ...missing, side: 'no' }));
  });

  it('keeps the model bounds: [0.1, 99.9] and 50 without data', () => {
    // Row 3: TTC 60..119 s, buffer 1000..1009.99 $, probability 100 → capped.
    const certain = { ...yesInMoney, strike: 99000, ttcSeconds: 90 };
    expect(table.keyOf(certain)).toBe('1:100:0');
    expect(table.probability(certain)).toBe(99.9);
    expect(table.probability({ ...certain, side: 'no' })).toBe(0.1);
    expect(table.probability({ ...yesInMoney, price: null })).toBe(50);
    expect(table.keyOf({ ...yesInMoney, ttcSeconds: 0 })).toBeNull();
  });

  it('honours bucket widths', () => {
    const coarse = LookupTableModel.fromRows(
      [{ ttcBucket: 2, bufferBucket: 2, momentumBucket: 0, probability: 90 }],
      fallback,
      {
        ttcBucketSeconds: 300,
        bufferBucketDollars: 100,
      },
    );
    // 600 / 300 = 2; 250.01 / 100 = 2.
    expect(coarse.probability(yesInMoney)).toBe(90);
    expect(coarse.size).toBe(1);
  });

  it('rejects malformed and duplicate rows, naming the row', () => {
    const ok = { ttcBucket: 1, bufferBucket: 1, momentumBucket: 0, probability: 60 };
    const bad: [LookupRow[], RegExp][] = [
      [[ok, ok], /row 1: duplicate key 1:1:0/],
      [[{ ...ok, probability: 101 }], /row 0/],
      [[{ ...ok, momentumBucket: 31 }], /row 0/],
      [[{ ...ok, ttcBucket: 1.5 }], /row 0/],
      [[ok, { ...ok, bufferBucket: -1 }], /row 1/],
    ];
    for (const [table, message] of bad) {
      expect(() => LookupTableModel.fromRows(table, fallback)).toThrow(InvalidTableRowError);
      expect(() => LookupTableModel.fromRows(table, fallback)).toThrow(message);
    }
  });
});
