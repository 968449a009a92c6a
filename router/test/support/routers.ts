import { testRouterOptions } from '@recio/test-support';
import type { RouterOptions } from '../../src/options.js';
import { EventRouter } from '../../src/router.js';

/**
 * The kit's test router (@recio/test-support), built from this workspace's sources rather than
 * its dist: the router's own tests exercise the code they sit next to.
 */
export async function testRouter(databaseUrl: string, options: Partial<RouterOptions> = {}): Promise<EventRouter> {
  const router = new EventRouter(testRouterOptions(databaseUrl, options));
  await router.waitUntilReady({ redisTimeoutMs: 15_000 });
  return router;
}
