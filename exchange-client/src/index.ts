export * from './errors.js';
export * from './wire.js';
export * from './signing.js';
export {
  ExchangeClient,
  DUPLICATE_ORDER_CODES,
  type ExchangeClientOptions,
  type CallOptions,
  type GetMarketsParams,
  type ListParams,
} from './client.js';
export { encodeOrder, InvalidOrderError, type OrderIntent } from './order-encoding.js';
export {
  ExchangeWebSocket,
  ExchangeWsCommandError,
  type ExchangeWebSocketOptions,
  type ExchangeWebSocketEvents,
} from './websocket.js';
export { frameText } from './frame-text.js';
export { KALSHI_ORIGINS, TRADE_API_PATH, TRADE_WS_PATH, tradeApiUrls } from './endpoints.js';
export { TokenBucket } from './token-bucket.js';
