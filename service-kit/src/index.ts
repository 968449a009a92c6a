/** @recio/service-kit: what every service shares (config, HTTP, metrics, logs, drain). */
export { loadServiceConfig, SHARED_VARIABLES, type ServiceConfig } from './config.js';
export { CacheWrites } from './cache-writes.js';
export {
  decodePlatformEvent,
  type PlatformHandlerContext,
  type PlatformRecioEvent,
  type PlatformRouter,
  type PlatformTransaction,
  poolReader,
  type Reader,
} from './platform-events.js';
export { applyRedisUsers, RedisUsersError, type AppliedRedisUser, type ApplyRedisUsersOptions } from './redis-users.js';
export { HttpError, parseInput } from './http-error.js';
export { createHttpServer, type HttpServerOptions } from './http-server.js';
export {
  runService,
  startService,
  type RunningService,
  type PlatformConsumeOptions,
  type ServiceContext,
  type ServiceDefinition,
} from './service.js';
export { SettingsCopy } from './trading/settings-copy.js';
export { VersionedState, type VersionedStateOptions } from './trading/versioned-state.js';
export { ExchangeQuotes, toQuote, type QuoteSource } from './trading/exchange-quotes.js';
export { loadExchangeCredentials, type ExchangeCredential } from './trading/exchange-credentials.js';
export { toSnapshot as tradeSnapshotOfRow, type TradeRow } from './trading/trade-row.js';
export { isStaleTick, type TickReactorOptions } from './trading/tick-reactor.js';
