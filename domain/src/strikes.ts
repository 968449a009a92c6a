import { InvalidOptionError } from './errors.js';

/** Dollars between neighbouring strikes of the BTC hourly events. */
export const STRIKE_STEP = 250;

/** Strikes shown per event in the strike table (DOMAIN.md "Strike table"). */
export const DEFAULT_STRIKE_COUNT = 21;

/**
 * The n-th strike of the grid, n × 250 − 0.01 dollars. Computed in cents and divided once so the
 * result is the double nearest the decimal (119499.99, not 119499.98999999999).
 */
export function gridStrike(n: number): number {
  return (n * STRIKE_STEP * 100 - 1) / 100;
}

/** Whether `strike` lies on the grid (…119249.99, 119499.99, …). */
export function isGridStrike(strike: number): boolean {
  const n = Math.round((strike + 0.01) / STRIKE_STEP);
  return n >= 1 && gridStrike(n) === strike;
}

/**
 * The `count` grid strikes nearest `price`, ascending. With an odd count the strike nearest the
 * price is in the middle; with an even count the extra strike goes to the nearer side. Strikes
 * stay positive, so near zero the grid is cut at the first strike (249.99).
 * @throws InvalidOptionError for a non-positive price or count.
 */
export function strikeGrid(price: number, count: number = DEFAULT_STRIKE_COUNT): number[] {
  if (!(price > 0) || !Number.isFinite(price)) throw new InvalidOptionError('price', 'must be a positive number');
  if (!Number.isInteger(count) || count < 1) throw new InvalidOptionError('count', 'must be a positive integer');
  const centre = Math.round((price + 0.01) / STRIKE_STEP);
  const candidates: number[] = [];
  for (let n = Math.max(1, centre - count); n <= centre + count; n += 1) candidates.push(gridStrike(n));
  return nearestBy(candidates, price, count, (strike) => strike).sort((a, b) => a - b);
}

/**
 * The `count` items whose strike is nearest `price` (ties to the lower strike), in order of
 * distance. The strike table uses it to pick the listed markets nearest spot.
 */
export function nearestBy<T>(items: readonly T[], price: number, count: number, strikeOf: (item: T) => number): T[] {
  return [...items]
    .sort((a, b) => {
      const da = Math.abs(strikeOf(a) - price);
      const db = Math.abs(strikeOf(b) - price);
      return da - db || strikeOf(a) - strikeOf(b);
    })
    .slice(0, count);
}
