/**
 * @recio/topology: Redis and Sentinel configuration rendering (shared by the Kubernetes charts
 * and the local test topologies, so what the tests prove is what ships) and launchers for real
 * local Redis, Sentinel, Cluster and PostgreSQL servers.
 */
export {
  renderRedisConf,
  aclUserRules,
  ALLOWED_MAXMEMORY_POLICIES,
  type MaxmemoryPolicy,
  type RedisAclUser,
  type RedisAddress,
  type RedisClusterConfOptions,
  type RedisConfOptions,
  type SaveRule,
} from './redis-conf.js';
export { renderSentinelConf, type SentinelConfOptions } from './sentinel-conf.js';
export {
  BinaryNotFoundError,
  InvalidOptionError,
  ServerStartError,
  ServiceUnavailableError,
  TopologyTimeoutError,
  type ServerStartErrorCode,
} from './errors.js';
export { getFreePort, isPortFree, type FreePortOptions } from './free-port.js';
export {
  startRedisServer,
  startSentinel,
  type LaunchOptions,
  type RedisServerHandle,
  type RedisServerOptions,
  type SentinelServerOptions,
} from './redis-process.js';
export { startSentinelGroup, type SentinelGroup, type SentinelGroupOptions } from './sentinel-group.js';
export { startRedisCluster, type RedisCluster, type RedisClusterOptions } from './redis-cluster.js';
export {
  probePostgres,
  startPostgres,
  type PostgresHandle,
  type PostgresOptions,
  type PostgresStopMode,
} from './postgres-process.js';
export {
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  ensureLocalServices,
  exportLine,
  stopLocalServices,
  type LocalServices,
  type LocalServicesOptions,
  type ServiceSource,
} from './local-services.js';
export { findProjectRoot } from './project-root.js';
export { waitFor } from './wait.js';
export { pingRedis, type RedisTarget } from './redis-client.js';
