import { startRedisServer, type RedisServerHandle } from '@recio/topology';

/**
 * A redis-server of the test's own (no persistence). Tests whose channels have fixed names
 * (`prices:btc`, `markets:btc`, the services' channels) use one: on the shared Redis their
 * streams would meet those of other test files and of a `make dev` running on this machine.
 */
export async function startPrivateRedis(): Promise<RedisServerHandle> {
  return startRedisServer({ config: { appendonly: false, save: [] } });
}
