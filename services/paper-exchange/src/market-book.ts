import type { ExchangeEvent, Market } from '@recio/exchange-client';
import { easternParts, eventTickerFor, marketTickerFor, SERIES_TICKER, strikesAround } from './event-calendar.js';
import type { PricePath } from './price-path.js';
import { baseVolume, quoteMarket, type Quote } from './quote-model.js';

/** One hourly event of the simulation. */
export interface SimEvent {
  eventTicker: string;
  /** Unix seconds of the hour's open and close. */
  openSec: number;
  closeSec: number;
  /** Spot used to lay out the strikes (the price at the open, or at the simulation start). */
  openSpot: number;
  markets: SimMarket[];
  status: 'active' | 'settled';
  settlePrice: number | null;
}

/** One strike of an event. */
export interface SimMarket {
  ticker: string;
  eventTicker: string;
  strike: number;
  /** Strikes away from the middle strike (volume profile). */
  strikeOffset: number;
  /** `yes` when the close price is at or above the strike; null before settlement. */
  result: 'yes' | 'no' | null;
  /** Contracts traded by accounts, on top of the deterministic base volume. */
  tradedVolume: number;
  baseVolume: number;
}

/** Options of the market book. */
export interface MarketBookOptions {
  seed: number | string;
  path: PricePath;
}

const SETTLED_QUOTE: Quote = { yes_bid: 0, yes_ask: 0, no_bid: 0, no_ask: 0 };

/** The events and markets of the simulation, their quotes and their settlement. */
export class MarketBook {
  private readonly seed: number | string;
  private readonly path: PricePath;
  private readonly events = new Map<string, SimEvent>();
  private readonly markets = new Map<string, SimMarket>();
  private active: SimEvent | undefined;

  constructor(options: MarketBookOptions) {
    this.seed = options.seed;
    this.path = options.path;
  }

  /** Opens the event closing at `closeSec`, its strikes laid around the price at `atSec`. */
  openEvent(closeSec: number, atSec: number): SimEvent {
    const eventTicker = eventTickerFor(closeSec);
    const openSpot = this.path.priceAt(atSec);
    const strikes = strikesAround(openSpot);
    const middle = Math.floor(strikes.length / 2);
    const event: SimEvent = {
      eventTicker,
      openSec: closeSec - 3600,
      closeSec,
      openSpot,
      markets: [],
      status: 'active',
      settlePrice: null,
    };
    strikes.forEach((strike, index) => {
      const ticker = marketTickerFor(eventTicker, strike);
      const market: SimMarket = {
        ticker,
        eventTicker,
        strike,
        strikeOffset: index - middle,
        result: null,
        tradedVolume: 0,
        baseVolume: baseVolume(this.seed, ticker, index - middle),
      };
      event.markets.push(market);
      this.markets.set(ticker, market);
    });
    this.events.set(eventTicker, event);
    this.active = event;
    return event;
  }

  /** Settles an event from the price at its close second: YES when price ≥ strike. */
  settleEvent(event: SimEvent): void {
    const price = this.path.priceAt(event.closeSec);
    event.settlePrice = price;
    event.status = 'settled';
    for (const market of event.markets) market.result = price >= market.strike ? 'yes' : 'no';
    if (this.active === event) this.active = undefined;
  }

  /** The event open for trading now, if any. */
  activeEvent(): SimEvent | undefined {
    return this.active;
  }

  /** An event by ticker. */
  event(eventTicker: string): SimEvent | undefined {
    return this.events.get(eventTicker);
  }

  /** A market by ticker. */
  market(ticker: string): SimMarket | undefined {
    return this.markets.get(ticker);
  }

  /** Every event opened so far (oldest first). */
  allEvents(): SimEvent[] {
    return [...this.events.values()];
  }

  /** The quote of a market at `sec` (zeros once settled). */
  quote(market: SimMarket, sec: number): Quote {
    const event = this.events.get(market.eventTicker);
    if (!event || event.status === 'settled') return SETTLED_QUOTE;
    return quoteMarket({
      seed: this.seed,
      ticker: market.ticker,
      sec,
      spot: this.path.priceAt(sec),
      strike: market.strike,
      ttcSec: event.closeSec - sec,
      annualVolatility: this.path.annualVolatility,
    });
  }

  /** Total volume of a market (base + what accounts traded). */
  volume(market: SimMarket): number {
    return market.baseVolume + market.tradedVolume;
  }

  /** The wire status of a market. */
  status(market: SimMarket): 'active' | 'settled' {
    return this.events.get(market.eventTicker)?.status ?? 'settled';
  }

  /** A market as GET /markets returns it, quoted at `sec`. */
  toWireMarket(market: SimMarket, sec: number): Market {
    const event = this.events.get(market.eventTicker) as SimEvent;
    const q = this.quote(market, sec);
    const volume = this.volume(market);
    const close = new Date(event.closeSec * 1000).toISOString();
    const et = easternParts(event.closeSec * 1000);
    const strikeLabel = (market.strike + 0.01).toLocaleString('en-US', { maximumFractionDigits: 2 });
    return {
      ticker: market.ticker,
      event_ticker: market.eventTicker,
      market_type: 'binary',
      title: `Bitcoin price at ${et.hh}:00 ${et.zone}?`,
      subtitle: `$${strikeLabel} or above`,
      yes_sub_title: `$${strikeLabel} or above`,
      status: event.status,
      open_time: new Date(event.openSec * 1000).toISOString(),
      close_time: close,
      expiration_time: close,
      yes_bid: q.yes_bid,
      yes_ask: q.yes_ask,
      no_bid: q.no_bid,
      no_ask: q.no_ask,
      last_price: market.result === null ? Math.round((q.yes_bid + q.yes_ask) / 2) : market.result === 'yes' ? 100 : 0,
      volume,
      volume_24h: volume,
      open_interest: Math.floor(volume / 3),
      result: market.result ?? '',
      strike_type: 'greater',
      floor_strike: market.strike,
    };
  }

  /** An event as GET /events/{ticker} returns it (markets alongside, not nested). */
  toWireEvent(event: SimEvent): ExchangeEvent {
    const et = easternParts(event.closeSec * 1000);
    return {
      event_ticker: event.eventTicker,
      series_ticker: SERIES_TICKER,
      title: `Bitcoin price at ${et.hh}:00 ${et.zone}`,
      sub_title: `${et.mon} ${et.dd}, ${et.hh}:00 ${et.zone}`,
      category: 'Crypto',
      mutually_exclusive: false,
      strike_date: new Date(event.closeSec * 1000).toISOString(),
    };
  }
}
