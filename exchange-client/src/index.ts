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
export { TokenBucket } from './token-bucket.js';
