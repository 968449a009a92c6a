export { EventRouter, type Committed, type TransactionOptions } from './router.js';
export type { RouterOptions, ResolvedRouterOptions } from './options.js';
export { Transaction } from './transaction.js';
export type {
  AnyEvents,
  CatalogueChannel,
  CatalogueData,
  CatalogueType,
  EventCatalogue,
  PublishInput,
} from './event-catalogue.js';
export type { EventInput } from './event-encoding.js';
export type { RecioEvent } from './event.js';
export { Relay, type RelayDeps, type RelayOptions, type SweepReport } from './relay.js';
export { LEADER_KEYS, LeaderLock, type LeaderLockOptions } from './leader-lock.js';
export { toLike } from './consume/patterns.js';
export { compareAll, type ChannelState, type ComparedChannels, type UnreadChannel } from './compare.js';
export type { ReplayOptions, ReplayPage } from './replay.js';
export { MAX_REPLAY_LIMIT } from './replay.js';
export { Channels, streamKey, dlqKey } from './channels.js';
export { DEFAULT_CHANNEL_CLASSES, type ChannelClassPolicy } from './channel-classes.js';
export { RouterMetrics } from './metrics.js';
export { RouterScripts, type AppendEntry, type AppendReply } from './redis/scripts.js';
export { replyFields, type ReplyValue } from './redis/reply-fields.js';
export {
  createRedisClient,
  parseRedisConnection,
  redisConnectionSchema,
  type RedisConnection,
  type RedisClient,
} from './redis/connection.js';
export { runMigrations, type MigrateOptions } from './migrate.js';
export * from './errors.js';
export { Consumer } from './consume/consumer.js';
export {
  CONSUME_DEFAULTS,
  type ConsumeOptions,
  type EventHandler,
  type HandlerContext,
} from './consume/consumer-options.js';
export { DeliveryFailure, type Delivery } from './consume/deliveries.js';
export type { ConsumerDeps } from './consume/consumer-deps.js';
export { FanoutReader, type FanoutDeps, type FanoutOptions } from './consume/fanout-reader.js';
export { loadConfig as loadRouterEnv, ConfigError, type CliConfig as RouterEnv } from './cli/config.js';
export { countClientStatements, countStatements } from './pg-statements.js';
