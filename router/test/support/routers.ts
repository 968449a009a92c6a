import { pino } from 'pino';
import { EventRouter } from '../../src/router.js';
import type { RouterOptions } from '../../src/options.js';
import { REDIS_URL } from './env.js';

/**
 * A quiet router on the given database (and the shared Redis unless told otherwise), once its
 * Redis connection is ready: a router publishing before that commits fine but leaves the
 * append to the relay, which tests of the fast path must not depend on.
 */
export async function testRouter(databaseUrl: string, options: Partial<RouterOptions> = {}): Promise<EventRouter> {
  const router = new EventRouter({
    database: databaseUrl,
    redis: { url: REDIS_URL },
    source: 'test',
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...options,
  });
  await router.waitUntilReady({ redisTimeoutMs: 15_000 });
  return router;
}
