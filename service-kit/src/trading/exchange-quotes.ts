import { parseMarketTicker, type MarketQuote } from '@recio/domain';
import type { ExchangeClient, Market } from '@recio/exchange-client';

/**
 * Where the supervisors get the markets of an event with their quotes (once per price tick):
 * the exchange through {@link ExchangeQuotes}, or another source in tests.
 */
export interface QuoteSource {
  quotes(eventTicker: string, signal?: AbortSignal): Promise<MarketQuote[]>;
}

/**
 * The markets of one event with their quotes, from the exchange (GET /markets, every page),
 * as the domain's MarketQuote: the strike is the ticker's (`-T119499.99`), and an ask of 0 or
 * 100 (nobody offers that side) is null.
 */
export class ExchangeQuotes implements QuoteSource {
  readonly #client: ExchangeClient;

  constructor(client: ExchangeClient) {
    this.#client = client;
  }

  async quotes(eventTicker: string, signal?: AbortSignal): Promise<MarketQuote[]> {
    const out: MarketQuote[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#client.getMarkets(
        { event_ticker: eventTicker, limit: 100, ...(cursor ? { cursor } : {}) },
        signal ? { signal } : {},
      );
      for (const m of page.markets) {
        const quote = toQuote(m);
        if (quote) out.push(quote);
      }
      cursor = page.cursor || undefined;
    } while (cursor);
    return out;
  }
}

/** A market as a quote, or null when it is not open for trading or its ticker is not a strike. */
export function toQuote(m: Market): MarketQuote | null {
  if (m.status !== 'active' && m.status !== 'open') return null;
  let strike: number;
  try {
    strike = parseMarketTicker(m.ticker).strike;
  } catch {
    return null;
  }
  const ask = (c: number) => (c >= 1 && c <= 99 ? c : null);
  return {
    ticker: m.ticker,
    strike,
    yesAsk: ask(m.yes_ask),
    noAsk: ask(m.no_ask),
    yesBid: ask(m.yes_bid),
    noBid: ask(m.no_bid),
    volume: m.volume,
  };
}
