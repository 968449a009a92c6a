/** @recio/platform: the service catalogue every deployment artefact derives from. */
export {
  COMMON_ENV,
  SERVICES,
  consumerGroupOf,
  consumerGroups,
  type ConsumerGroupSpec,
  type IngressFrom,
  type ServiceSpec,
} from './services.js';
export { CHANNEL_PATTERN, channelClass, isChannelPattern } from './channel-pattern.js';
export * from './events/index.js';
export {
  CONSUMER_TABLES,
  PUBLISHER_TABLES,
  TABLE_PRIVILEGES,
  databaseGrants,
  databaseRoleName,
  databaseServices,
  serviceDatabaseUrl,
  type TableGrants,
  type TablePrivilege,
} from './database-access.js';
