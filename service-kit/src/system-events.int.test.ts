import { DEAD_LETTER_NOTICE, HEALTH_CHANNEL } from '@recio/contract';
import { createTestDatabase, startPrivateRedis, until, type TestDatabase } from '@recio/test-support';
import type { RedisServerHandle } from '@recio/topology';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServiceConfig } from './config.js';
import { startService, type RunningService } from './service.js';

// A service that consumes `system:*` through the kit, beside groups that dead-letter: the router's own
// notices decode against the platform's schemas and reach the handler typed, and a group that fails on
// notices does not feed itself more of them.
describe('consuming system:* through the service kit', () => {
  let db: TestDatabase;
  let redis: RedisServerHandle;
  let service: RunningService;
  const seen: string[] = [];

  beforeAll(async () => {
    // system:health is a fixed name: a Redis of its own
    redis = await startPrivateRedis();
    db = await createTestDatabase({ redisUrl: null });
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, PORT: '1', POD_NAME: 'kit-system-0' };
    service = await startService({
      config: { ...loadServiceConfig('kit-system', {}, env), port: 0 },
      logger: pino({ level: 'silent' }),
      async start(ctx) {
        const fast = { sweepIntervalMs: 200, retryBaseMs: 10, maxDeliveries: 1 };
        // Fails on every trade event: each is dead-lettered with a notice on system:health.
        await ctx.consume({
          ...fast,
          group: 'kit-failing',
          channels: ['trades:*'],
          handler: async () => Promise.reject(new Error('refused on purpose')),
        });
        await ctx.consume({
          ...fast,
          group: 'kit-system',
          channels: ['system:*'],
          handler: async (event) => {
            if (event.type === DEAD_LETTER_NOTICE) seen.push(`${event.type} ${event.data.group} ${event.data.seq}`);
            else if (event.type === 'health.changed') seen.push(`${event.type} ${event.data.component}`);
          },
        });
        // Fails on everything on system:*, notices included.
        await ctx.consume({
          ...fast,
          group: 'kit-system-failing',
          channels: ['system:*'],
          handler: async () => Promise.reject(new Error('refused on purpose')),
        });
      },
    });
  });

  afterAll(async () => {
    await service?.close();
    await db?.drop();
    await redis?.close();
  });

  it("hands the router's dead-letter notices to the handler typed, and a group failing on them adds none", async () => {
    const { router, pool } = service.context;
    await router.publish('system:health', 'health.changed', {
      component: 'exchange',
      status: 'down',
      previous: 'up',
      detail: 'test',
      at: 1_000,
    });
    await router.publish('trades:user_0001', 'trade.close_requested', {
      tradeId: '6f1e2f8a-3c1b-5b7e-9d59-1d3c0f6a2b10',
      userId: 'user_0001',
      method: 'manual',
      reason: 'test',
      priceAtClose: null,
      requestedAt: 1_000,
    });
    const letters = () =>
      pool
        .query<{ group_name: string; channel: string; seq: string; error_code: string }>(
          'SELECT group_name, channel, seq, error_code FROM dead_letter ORDER BY group_name, channel, seq',
        )
        .then((r) => r.rows.map((l) => `${l.group_name} ${l.channel} ${l.seq} ${l.error_code}`));
    // system:health: 1 the health change, then kit-failing's notice and kit-system-failing's notice of
    // 1 (2 and 3); kit-system-failing's dead letters of 2 and 3 raise none (they are notices themselves).
    await until('every dead letter', async () => ((await letters()).length === 4 ? true : undefined), {
      timeoutMs: 30_000,
    });
    expect(await letters()).toEqual([
      'kit-failing trades:user_0001 1 HANDLER_FAILED',
      `kit-system-failing ${HEALTH_CHANNEL} 1 HANDLER_FAILED`,
      `kit-system-failing ${HEALTH_CHANNEL} 2 HANDLER_FAILED`,
      `kit-system-failing ${HEALTH_CHANNEL} 3 HANDLER_FAILED`,
    ]);
    await until('kit-system to apply all three', () => seen.length === 3, { timeoutMs: 30_000 });
    // The two notices commit in whichever order their groups gave up.
    expect(seen[0]).toBe('health.changed exchange');
    expect(seen.slice(1).sort()).toEqual([
      `${DEAD_LETTER_NOTICE} kit-failing 1`,
      `${DEAD_LETTER_NOTICE} kit-system-failing 1`,
    ]);
    const head = await pool.query<{ last_seq: string }>('SELECT last_seq FROM channel_head WHERE channel = $1', [
      HEALTH_CHANNEL,
    ]);
    expect(head.rows).toEqual([{ last_seq: '3' }]);
  });
});
