import type { ProbabilityModel } from './probability.js';
import type { AutoEntrySettings } from './settings.js';
import { activeSide, type Side } from './side.js';
import { DEFAULT_STRIKE_COUNT, nearestBy } from './strikes.js';

/** A market's quote: prices in cents (1..99), an ask null when nobody offers that side. */
export interface MarketQuote {
  ticker: string;
  strike: number;
  yesAsk: number | null;
  noAsk: number | null;
  yesBid?: number | null;
  noBid?: number | null;
  volume: number;
}

/** One row of the strike table (DOMAIN.md "Strike table and probability"). */
export interface StrikeRow {
  ticker: string;
  strike: number;
  /** |price − strike|, dollars. */
  buffer: number;
  /** buffer / price × 100. */
  bufferPct: number;
  ttcSeconds: number;
  activeSide: Side;
  yesProbability: number;
  noProbability: number;
  /** Probability of the active side. */
  probability: number;
  yesAsk: number | null;
  noAsk: number | null;
  /** yesProbability − yesAsk (percent minus cents, both on 0..100); null without an ask. */
  yesDiff: number | null;
  noDiff: number | null;
  /** The active side's diff. */
  diff: number | null;
  volume: number;
}

/** Inputs of {@link buildStrikeTable}. */
export interface StrikeTableInput {
  /** Spot price, dollars. */
  price: number;
  nowMs: number;
  /** The event's close; TTC is taken from it, never from "entry hour + 1". */
  closeMs: number;
  eventTicker: string;
  markets: readonly MarketQuote[];
  momentum: number | null;
  volatility: number | null;
  model: ProbabilityModel;
  /** Rows wanted. @defaultValue 21 */
  count?: number;
}

/**
 * The strike table: of the event's markets (tickers `${eventTicker}-…`; others are ignored), the
 * `count` whose strikes are nearest spot, ascending by strike, each priced by the model.
 */
export function buildStrikeTable(input: StrikeTableInput): StrikeRow[] {
  const { price, model } = input;
  const ttc = (input.closeMs - input.nowMs) / 1000;
  const prefix = `${input.eventTicker}-`;
  const markets = input.markets.filter((m) => m.ticker.startsWith(prefix));
  const chosen = nearestBy(markets, price, input.count ?? DEFAULT_STRIKE_COUNT, (m) => m.strike);
  return chosen
    .sort((a, b) => a.strike - b.strike)
    .map((market) => {
      const base = {
        price,
        strike: market.strike,
        ttcSeconds: ttc,
        momentum: input.momentum,
        volatility: input.volatility,
      };
      const yesProbability = model.probability({ ...base, side: 'yes' });
      const noProbability = model.probability({ ...base, side: 'no' });
      const side = activeSide(price, market.strike);
      const buffer = Math.abs(price - market.strike);
      const yesDiff = market.yesAsk === null ? null : yesProbability - market.yesAsk;
      const noDiff = market.noAsk === null ? null : noProbability - market.noAsk;
      return {
        ticker: market.ticker,
        strike: market.strike,
        buffer,
        bufferPct: price > 0 ? (buffer / price) * 100 : 0,
        ttcSeconds: ttc,
        activeSide: side,
        yesProbability,
        noProbability,
        probability: side === 'yes' ? yesProbability : noProbability,
        yesAsk: market.yesAsk,
        noAsk: market.noAsk,
        yesDiff,
        noDiff,
        diff: side === 'yes' ? yesDiff : noDiff,
        volume: market.volume,
      };
    });
}

/** Watchlist thresholds (DOMAIN.md "Watchlist" keeps rows near the entry thresholds). */
export const WATCHLIST_MIN_VOLUME = 1000;
/** A market with either ask above this is all but decided. */
export const WATCHLIST_MAX_ASK = 98;
/** The watchlist admits rows this far below minProbability … */
export const WATCHLIST_PROBABILITY_MARGIN = 5;
/** … and this far below minDifferential. */
export const WATCHLIST_DIFF_MARGIN = 3;

/**
 * The watchlist: rows with volume ≥ 1000, max(yesAsk, noAsk) ≤ 98, probability > minProbability − 5
 * and diff ≥ minDifferential − 3. A row whose active side has no ask (diff null) is out; a null
 * ask on the other side does not count in the max.
 */
export function watchlist(
  rows: readonly StrikeRow[],
  settings: Pick<AutoEntrySettings, 'minProbability' | 'minDifferential'>,
): StrikeRow[] {
  return rows.filter((row) => {
    const asks = [row.yesAsk, row.noAsk].filter((ask): ask is number => ask !== null);
    return (
      row.volume >= WATCHLIST_MIN_VOLUME &&
      asks.every((ask) => ask <= WATCHLIST_MAX_ASK) &&
      row.probability > settings.minProbability - WATCHLIST_PROBABILITY_MARGIN &&
      row.diff !== null &&
      row.diff >= settings.minDifferential - WATCHLIST_DIFF_MARGIN
    );
  });
}
