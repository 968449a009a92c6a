import { hash32, mulberry32, normalFrom } from './prng.js';

/** A scheduled move of the price: `pct` percent (negative = drop) spread evenly over `overSeconds`. */
export interface PriceShock {
  /** When the move starts, in milliseconds after the simulation start. */
  atMs: number;
  /** Total move in percent, e.g. -3 for a 3% drop. */
  pct: number;
  /** Seconds the move is spread over (at least 1). */
  overSeconds: number;
}

/** Options of a price path. */
export interface PricePathOptions {
  seed: number | string;
  /** Simulated time of the first price (ms); the path starts at this whole second. */
  startMs: number;
  /** @defaultValue 100000 */
  startPrice?: number;
  /** Annualised volatility of the geometric random walk. @defaultValue 0.5 */
  annualVolatility?: number;
  /** @defaultValue [] */
  shocks?: readonly PriceShock[];
}

const SECONDS_PER_YEAR = 365 * 24 * 3600;

/**
 * BTC-USD, one price per simulated second: a geometric random walk from a seeded PRNG plus the
 * scheduled shocks. The path is generated forward only and cached, so the price of a second
 * does not depend on the order in which seconds are asked for: same seed and options, same path.
 */
export class PricePath {
  readonly startSec: number;
  readonly annualVolatility: number;
  private readonly raw: number[];
  private readonly next: () => number;
  private readonly drift: number;
  private readonly diffusion: number;
  // Per-second multiplicative shock factor by offset from the start.
  private readonly shockFactors = new Map<number, number>();

  constructor(options: PricePathOptions) {
    const startPrice = options.startPrice ?? 100_000;
    const vol = options.annualVolatility ?? 0.5;
    if (!(startPrice > 0)) throw new RangeError('option startPrice: must be > 0');
    if (!(vol >= 0)) throw new RangeError('option annualVolatility: must be >= 0');
    this.startSec = Math.floor(options.startMs / 1000);
    this.annualVolatility = vol;
    this.raw = [startPrice];
    this.next = mulberry32(hash32('price-path', options.seed));
    const dt = 1 / SECONDS_PER_YEAR;
    this.drift = -0.5 * vol * vol * dt;
    this.diffusion = vol * Math.sqrt(dt);
    for (const shock of options.shocks ?? []) {
      const over = Math.max(1, Math.round(shock.overSeconds));
      const from = Math.max(0, Math.round(shock.atMs / 1000));
      const perSecond = Math.pow(1 + shock.pct / 100, 1 / over);
      if (!(perSecond > 0)) throw new RangeError(`shock of ${shock.pct}% is not a valid move`);
      // The move lands on seconds from+1 .. from+over: at `from + over` the full move is in.
      for (let i = from + 1; i <= from + over; i++) {
        this.shockFactors.set(i, (this.shockFactors.get(i) ?? 1) * perSecond);
      }
    }
  }

  /** The price (dollars, rounded to the cent) at a simulated second; before the start, the start price. */
  priceAt(sec: number): number {
    const offset = Math.floor(sec) - this.startSec;
    return Math.round(this.rawAt(Math.max(0, offset)) * 100) / 100;
  }

  /** The price at a simulated time in ms (the second it falls in). */
  priceAtMs(ms: number): number {
    return this.priceAt(Math.floor(ms / 1000));
  }

  private rawAt(offset: number): number {
    while (this.raw.length <= offset) {
      const i = this.raw.length;
      const previous = this.raw[i - 1] as number;
      const step = Math.exp(this.drift + this.diffusion * normalFrom(this.next));
      this.raw.push(previous * step * (this.shockFactors.get(i) ?? 1));
    }
    return this.raw[offset] as number;
  }
}
