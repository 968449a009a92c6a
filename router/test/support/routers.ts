import { pino } from 'pino';
import { EventRouter } from '../../src/router.js';
import type { RouterOptions } from '../../src/options.js';
import { REDIS_URL } from './env.js';

/** A quiet router on the given database (and the shared Redis unless told otherwise). */
export function testRouter(databaseUrl: string, options: Partial<RouterOptions> = {}): EventRouter {
  return new EventRouter({
    database: databaseUrl,
    redis: { url: REDIS_URL },
    source: 'test',
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...options,
  });
}
