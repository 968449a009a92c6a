import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from './errors.js';
import { gridStrike, isGridStrike, strikeGrid } from './strikes.js';

describe('strike grid', () => {
  it('puts strikes at n × 250 − 0.01 dollars, exactly as the decimal', () => {
    // 478 × 250 = 119 500 → 119 499.99.
    expect(gridStrike(478)).toBe(119499.99);
    expect(gridStrike(477)).toBe(119249.99);
    expect(isGridStrike(119499.99)).toBe(true);
    expect(isGridStrike(119500)).toBe(false);
    expect(isGridStrike(119499.98)).toBe(false);
  });

  it('centres 21 strikes on the strike nearest the price (the default count)', () => {
    // 119 600 / 250 ≈ 478.4 → centre n = 478 (119 499.99); 10 each side: n = 468..488.
    const grid = strikeGrid(119600);
    expect(grid).toHaveLength(21);
    expect(grid[10]).toBe(119499.99);
    expect(grid[0]).toBe(gridStrike(468)); // 116 999.99
    expect(grid[20]).toBe(gridStrike(488)); // 121 999.99
    expect(grid[0]).toBe(116999.99);
    expect([...grid].sort((a, b) => a - b)).toEqual(grid);
  });

  it('gives an even count the extra strike on the nearer side', () => {
    // From 119 600: 119 499.99 is 100.01 away, 119 749.99 is 149.99, 119 249.99 is 350.01.
    expect(strikeGrid(119600, 2)).toEqual([119499.99, 119749.99]);
    // From 119 400: 119 499.99 is 99.99 away, 119 249.99 is 150.01, 119 749.99 is 349.99.
    expect(strikeGrid(119400, 2)).toEqual([119249.99, 119499.99]);
    // Odd counts stay centred on the nearest strike either way.
    expect(strikeGrid(119600, 3)).toEqual([119249.99, 119499.99, 119749.99]);
  });

  it('stops at the first positive strike', () => {
    // 300 → centre n = 1 (249.99); n ≥ 1, so the 3 nearest are n = 1, 2, 3.
    expect(strikeGrid(300, 3)).toEqual([249.99, 499.99, 749.99]);
  });

  it('rejects a bad price or count', () => {
    expect(() => strikeGrid(0)).toThrow(InvalidOptionError);
    expect(() => strikeGrid(100000, 0)).toThrow(InvalidOptionError);
    expect(() => strikeGrid(100000, 2.5)).toThrow(/option count/);
  });
});
