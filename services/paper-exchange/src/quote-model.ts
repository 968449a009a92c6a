import { hash32, uniformOf } from './prng.js';

// How the paper exchange quotes a market: its own fair value (lognormal N(d2) with the world's
// true volatility), plus a seeded noise per market and minute and a 1–2 cent spread. The noise
// is what gives the platform's model (with its own volatility estimate) an edge now and then.

/** Best bid/ask of both sides, in cents. yes_bid + no_ask = 100 and yes_ask + no_bid = 100. */
export interface Quote {
  yes_bid: number;
  yes_ask: number;
  no_bid: number;
  no_ask: number;
}

const SECONDS_PER_YEAR = 365 * 24 * 3600;
/** Largest noise added to the fair value, in cents (either way). */
export const QUOTE_NOISE_CENTS = 2;

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Probability that the price ends at or above `strike` after `ttcSec` seconds (driftless lognormal). */
export function fairYesProbability(spot: number, strike: number, ttcSec: number, annualVolatility: number): number {
  if (ttcSec <= 0 || annualVolatility <= 0) return spot >= strike ? 1 : 0;
  const t = ttcSec / SECONDS_PER_YEAR;
  const sigmaRootT = annualVolatility * Math.sqrt(t);
  const d2 = (Math.log(spot / strike) - 0.5 * annualVolatility * annualVolatility * t) / sigmaRootT;
  return normalCdf(d2);
}

/** Inputs of one quote. */
export interface QuoteInput {
  seed: number | string;
  ticker: string;
  /** Simulated second the quote is for. */
  sec: number;
  spot: number;
  strike: number;
  ttcSec: number;
  annualVolatility: number;
}

/** The quote of one market at one second: deterministic in its inputs. */
export function quoteMarket(input: QuoteInput): Quote {
  const fair = fairYesProbability(input.spot, input.strike, input.ttcSec, input.annualVolatility) * 100;
  const minute = Math.floor(input.sec / 60);
  const noise = (uniformOf('noise', input.seed, input.ticker, minute) * 2 - 1) * QUOTE_NOISE_CENTS;
  const spread = 1 + (hash32('spread', input.seed, input.ticker, minute) % 2);
  const mid = fair + noise;
  const yesBid = clamp(Math.round(mid - spread / 2), 1, 98);
  const yesAsk = clamp(yesBid + spread, yesBid + 1, 99);
  return { yes_bid: yesBid, yes_ask: yesAsk, no_bid: 100 - yesAsk, no_ask: 100 - yesBid };
}

/**
 * Deterministic traded volume of a market before any account trades: highest near the spot at
 * the hour's open (≥ 1000 within ±6 strikes), a seeded jitter on top.
 */
export function baseVolume(seed: number | string, ticker: string, strikeOffset: number): number {
  const bell = 4000 * Math.exp(-((strikeOffset / 6) ** 2));
  return Math.round(bell) + Math.floor(uniformOf('volume', seed, ticker) * 1000);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
