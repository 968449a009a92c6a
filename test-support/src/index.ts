/**
 * @recio/test-support: what every workspace's tests share. Integration test files each get their
 * own database, cloned from the run's migrated template (global-setup.ts), and their own
 * channel/key namespace (uniqueName), so files run in parallel against one Redis and PostgreSQL.
 */
import './provided-context.js';

export { DATABASE_URL, REDIS_URL, databaseUrl } from './env.js';
export { createTestDatabase, uniqueName, type TestDatabase, type TestDatabaseOptions } from './test-database.js';
export { startPrivateRedis } from './private-redis.js';
export { testRouter, testRouterOptions } from './test-router.js';
export { freePort } from './ports.js';
export { until, type UntilOptions } from './until.js';
export { priceTick } from './price-tick.js';
export { assertEnvironmentTotal } from './environment-fuzz.js';
export { killAndWait, startScript } from './child-process.js';
export { FreezingProxy } from './freezing-proxy.js';
