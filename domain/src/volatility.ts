import { InvalidOptionError } from './errors.js';
import { priceAt, type PricePoint } from './momentum.js';

/** Seconds in a year; BTC trades around the clock, so a calendar year of 365 days. */
export const SECONDS_PER_YEAR = 365 * 86_400;

/** Options of {@link estimateVolatility}. */
export interface VolatilityOptions {
  /**
   * Sampling step: returns are taken between prices this far apart.
   * @defaultValue 60_000 (one minute)
   */
  stepMs?: number;
  /**
   * How far back to sample; keep it within MOMENTUM_HISTORY_MS so a bounded window serves both.
   * @defaultValue 1_800_000 (30 minutes, so up to 30 returns)
   */
  windowMs?: number;
  /**
   * Fewest returns for an estimate; with fewer, `defaultVolatility` is returned.
   * @defaultValue 10
   */
  minReturns?: number;
  /** @defaultValue 0.5 (about BTC's long-run annualised volatility) */
  defaultVolatility?: number;
  /** Lower bound of the estimate; a flat quarter of an hour must not read as certainty. @defaultValue 0.1 */
  floor?: number;
  /** Upper bound of the estimate; one bad tick must not read as chaos. @defaultValue 3 */
  ceiling?: number;
}

/** The defaults spread under the caller's {@link VolatilityOptions}. */
export const DEFAULT_VOLATILITY_OPTIONS: Required<VolatilityOptions> = {
  stepMs: 60_000,
  windowMs: 30 * 60_000,
  minReturns: 10,
  defaultVolatility: 0.5,
  floor: 0.1,
  ceiling: 3,
};

/**
 * Annualised volatility from the recent history: prices sampled at now, now − step, now − 2·step …
 * back to now − window (each the last point at or before the instant, at most step/2 older, so
 * two samples never share a point), log returns between consecutive samples that both exist, and
 * σ = sqrt(mean(r²) × periodsPerYear) with periodsPerYear = SECONDS_PER_YEAR / step. The mean
 * return is taken as zero (realised volatility): over half an hour a sample mean is noise, and
 * subtracting it would hide a steady trend's risk. Clamped to [floor, ceiling]; the default when
 * fewer than `minReturns` returns exist.
 */
export function estimateVolatility(
  history: readonly PricePoint[],
  nowMs: number,
  options: VolatilityOptions = {},
): number {
  const opts = { ...DEFAULT_VOLATILITY_OPTIONS, ...options };
  validate(opts);
  const samples: (number | null)[] = [];
  for (let t = nowMs; t >= nowMs - opts.windowMs; t -= opts.stepMs) {
    samples.push(priceAt(history, t, opts.stepMs / 2));
  }
  let sumSquares = 0;
  let returns = 0;
  for (let i = 0; i + 1 < samples.length; i += 1) {
    const later = samples[i];
    const earlier = samples[i + 1];
    if (later == null || earlier == null || later <= 0 || earlier <= 0) continue;
    const r = Math.log(later / earlier);
    sumSquares += r * r;
    returns += 1;
  }
  if (returns < opts.minReturns) return opts.defaultVolatility;
  const sigma = Math.sqrt((sumSquares / returns) * (SECONDS_PER_YEAR / (opts.stepMs / 1000)));
  return Math.min(opts.ceiling, Math.max(opts.floor, sigma));
}

function validate(opts: Required<VolatilityOptions>): void {
  if (!(opts.stepMs >= 1000)) throw new InvalidOptionError('stepMs', 'must be at least 1000');
  if (!(opts.windowMs >= opts.stepMs)) throw new InvalidOptionError('windowMs', 'must be at least stepMs');
  if (!Number.isInteger(opts.minReturns) || opts.minReturns < 1)
    throw new InvalidOptionError('minReturns', 'must be a positive integer');
  if (!(opts.floor > 0)) throw new InvalidOptionError('floor', 'must be positive');
  if (!(opts.ceiling >= opts.floor)) throw new InvalidOptionError('ceiling', 'must be at least floor');
  if (!(opts.defaultVolatility > 0)) throw new InvalidOptionError('defaultVolatility', 'must be positive');
}
