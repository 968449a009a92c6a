import { EventRouter, type RouterOptions } from '@recio/router';
import { pino } from 'pino';
import { REDIS_URL } from './env.js';

/** What a test's router is made with: the shared Redis, source `test`, quiet unless TEST_LOG_LEVEL. */
export function testRouterOptions(databaseUrl: string, options: Partial<RouterOptions> = {}): RouterOptions {
  return {
    database: databaseUrl,
    redis: { url: REDIS_URL },
    source: 'test',
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...options,
  };
}

/**
 * A quiet router on the given database (and the shared Redis unless told otherwise), once its
 * Redis connection is ready: a router publishing before that commits fine but leaves the
 * append to the relay, which tests of the fast path must not depend on.
 */
export async function testRouter(databaseUrl: string, options: Partial<RouterOptions> = {}): Promise<EventRouter> {
  const router = new EventRouter(testRouterOptions(databaseUrl, options));
  await router.waitUntilReady({ redisTimeoutMs: 15_000 });
  return router;
}
