export { startPaperExchange, type PaperExchange, type PaperExchangeOptions, type PaperAccount } from './server.js';
export { World, type WorldOptions, type WorldEvent, type WorldListener } from './world.js';
export { PricePath, type PriceShock, type PricePathOptions } from './price-path.js';
export { SimClock, type ClockMode, type SimClockOptions } from './sim-clock.js';
export { MarketBook, type SimEvent, type SimMarket } from './market-book.js';
export { Ledger, type Account, type OrderOutcome, type Rejection } from './ledger.js';
export { fairYesProbability, quoteMarket, normalCdf, type Quote } from './quote-model.js';
export { takerFeeCents, DEFAULT_ASK_SIZE } from './order-rules.js';
export {
  eventTickerFor,
  marketTickerFor,
  strikesAround,
  closeSecFor,
  SERIES_TICKER,
  STRIKE_STEP,
  STRIKES_PER_EVENT,
} from './event-calendar.js';
export { FEED_PRODUCT, type CoinbaseTicker } from './feed-ws.js';
export { loadConfig, type PaperExchangeConfig } from './config.js';
