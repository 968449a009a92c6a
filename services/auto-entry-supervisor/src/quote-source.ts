import type { MarketQuote } from '@recio/domain';

/**
 * Where the supervisors get the markets of an event with their quotes: the exchange (or the
 * paper exchange) through @recio/exchange-client. Called from a handler, once per price tick.
 */
export interface QuoteSource {
  quotes(eventTicker: string, signal?: AbortSignal): Promise<MarketQuote[]>;
}
