/** @recio/platform: the service catalogue every deployment artefact derives from. */
export {
  COMMON_ENV,
  SERVICES,
  consumerGroupOf,
  consumerGroups,
  findService,
  type ConsumerGroupSpec,
  type IngressFrom,
  type ServiceSpec,
} from './services.js';
export * from './events/index.js';
export {
  COINBASE_FEED_URL,
  COMPONENT_LABEL,
  MAIN_APP_PUBLIC_PATHS,
  PAPER_FEED_PATH,
  paperExchangeEnv,
  servicePort,
  serviceUrl,
} from './endpoints.js';
export {
  appendedClasses,
  channelClassesInUse,
  classKeyPattern,
  consumedClasses,
  CONSUMER_STREAM_COMMANDS,
  redisAccess,
  redisServices,
  SERVICE_REDIS_COMMANDS,
  type RedisAccess,
  type RedisSelector,
} from './redis-access.js';
export {
  CONSUMER_TABLES,
  PUBLISHER_TABLES,
  TABLE_PRIVILEGES,
  databaseGrants,
  databaseRoleName,
  databaseServices,
  committedClasses,
  publishedClasses,
  serviceDatabaseUrl,
  type TableGrants,
  type TablePrivilege,
} from './database-access.js';
export * from './gateway.js';
export { LEGACY_POLLS_PER_MINUTE, legacyPollingPerMinute } from './legacy-polling.js';
