import { InvalidOptionError } from './errors.js';
import { MOMENTUM_WINDOWS } from './momentum.js';
import { normalCdf } from './normal.js';
import type { Side } from './side.js';
import { SECONDS_PER_YEAR } from './volatility.js';

/** What a probability model sees for one strike and side. */
export interface ProbabilityInput {
  /** Spot price in dollars; null when unknown. */
  price: number | null;
  /** Strike in dollars (YES pays when the price at the close is ≥ strike). */
  strike: number;
  side: Side;
  /** Seconds to the event's close; null when unknown. */
  ttcSeconds: number | null;
  /** Momentum in percent (see `momentum`); null when there is no history. */
  momentum: number | null;
  /** Annualised volatility (0.5 = 50 %); null when unknown. */
  volatility: number | null;
}

/** A model of the chance, in percent, that a side is in the money at the close. */
export interface ProbabilityModel {
  /** Percent in [0.1, 99.9]; exactly 50 when {@link hasProbabilityData} is false. */
  probability(input: ProbabilityInput): number;
}

/** Bounds of every model probability (DOMAIN.md: 99.9 at most however large the buffer). */
export const MIN_PROBABILITY = 0.1;
/** @see MIN_PROBABILITY */
export const MAX_PROBABILITY = 99.9;
/** The probability when there is no data. */
export const NO_DATA_PROBABILITY = 50;

/**
 * Whether a model has enough to say anything: price, strike and ttcSeconds all finite and > 0.
 * Otherwise (a missing price, an event already closed) every model answers exactly 50.
 */
export function hasProbabilityData(input: ProbabilityInput): boolean {
  return isPositive(input.price) && isPositive(input.strike) && isPositive(input.ttcSeconds);
}

/** Clamps a percent to [MIN_PROBABILITY, MAX_PROBABILITY]. */
export function clampProbability(p: number): number {
  return Math.min(MAX_PROBABILITY, Math.max(MIN_PROBABILITY, p));
}

/**
 * The momentum windows' weighted horizon, Σ weight × window = 0.30·1 + 0.25·2 + 0.20·3 + 0.15·4 +
 * 0.05·15 + 0.05·30 = 4.25 minutes: momentum is roughly the percent move over this long.
 */
export const MOMENTUM_HORIZON_SECONDS = MOMENTUM_WINDOWS.reduce((sum, w) => sum + w.weight * w.ms, 0) / 1000;

/** Options of {@link DigitalOptionModel}. */
export interface DigitalOptionModelOptions {
  /** σ used when the input's volatility is null or not positive. @defaultValue 0.5 */
  defaultVolatility?: number;
  /**
   * The share of the momentum's rate assumed to persist until the close: μ = persistence ×
   * (momentum / 100) / horizon (horizon = 4.25 min in years). 0 turns the drift off.
   * @defaultValue 0.1
   */
  momentumPersistence?: number;
  /**
   * Bound on |μ| (per year). 25/yr moves ln(S_T) by at most 25 × 900/31 536 000 ≈ 0.07 % over a
   * 15-minute horizon, against σ√T ≈ 0.27 % at σ = 0.5: a tilt, never a verdict.
   * @defaultValue 25
   */
  maxDrift?: number;
}

/** The defaults spread under the caller's {@link DigitalOptionModelOptions}. */
export const DEFAULT_DIGITAL_OPTION_MODEL_OPTIONS: Required<DigitalOptionModelOptions> = {
  defaultVolatility: 0.5,
  momentumPersistence: 0.1,
  maxDrift: 25,
};

/**
 * Lognormal digital option: P(S_T ≥ K) = N(d2), d2 = (ln(S/K) + (μ − σ²/2)T) / (σ√T), T in years
 * of 365 days, σ the volatility, μ the momentum drift. YES is N(d2) in percent, clamped to
 * [0.1, 99.9]; NO is 100 − YES (clamped likewise).
 */
export class DigitalOptionModel implements ProbabilityModel {
  private readonly opts: Required<DigitalOptionModelOptions>;

  constructor(options: DigitalOptionModelOptions = {}) {
    this.opts = { ...DEFAULT_DIGITAL_OPTION_MODEL_OPTIONS, ...options };
    if (!(this.opts.defaultVolatility > 0) || !Number.isFinite(this.opts.defaultVolatility)) {
      throw new InvalidOptionError('defaultVolatility', 'must be a positive number');
    }
    if (!(this.opts.momentumPersistence >= 0) || !Number.isFinite(this.opts.momentumPersistence)) {
      throw new InvalidOptionError('momentumPersistence', 'must be a non-negative number');
    }
    if (!(this.opts.maxDrift >= 0) || !Number.isFinite(this.opts.maxDrift)) {
      throw new InvalidOptionError('maxDrift', 'must be a non-negative number');
    }
  }

  /** The annual drift μ for a momentum (percent): zero when null, bounded by ±maxDrift. */
  drift(momentumPct: number | null): number {
    if (momentumPct === null || !Number.isFinite(momentumPct)) return 0;
    const horizonYears = MOMENTUM_HORIZON_SECONDS / SECONDS_PER_YEAR;
    const mu = (this.opts.momentumPersistence * (momentumPct / 100)) / horizonYears;
    return Math.max(-this.opts.maxDrift, Math.min(this.opts.maxDrift, mu)) || 0;
  }

  /** d2 of the YES side, or null without data. */
  d2(input: ProbabilityInput): number | null {
    if (!hasProbabilityData(input)) return null;
    const s = input.price as number;
    const t = (input.ttcSeconds as number) / SECONDS_PER_YEAR;
    const sigma = isPositive(input.volatility) ? input.volatility : this.opts.defaultVolatility;
    const mu = this.drift(input.momentum);
    return (Math.log(s / input.strike) + (mu - (sigma * sigma) / 2) * t) / (sigma * Math.sqrt(t));
  }

  probability(input: ProbabilityInput): number {
    const d2 = this.d2(input);
    if (d2 === null) return NO_DATA_PROBABILITY;
    const yes = clampProbability(100 * normalCdf(d2));
    return input.side === 'yes' ? yes : clampProbability(100 - yes);
  }
}

function isPositive(value: number | null): value is number {
  return value !== null && Number.isFinite(value) && value > 0;
}
