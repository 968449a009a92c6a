import type { HealthChange, PriceTick } from '@recio/platform';
import { startService, type RunningService } from '@recio/service-kit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOMENTUM_HISTORY_MS } from '@recio/domain';
import { PRICE_SERIES_KEY } from '@recio/contract';
import { startPaperExchange, type PaperExchange } from '@recio/paper-exchange';
import { startPrivateRedis, freePort, createTestDatabase, type TestDatabase } from '@recio/test-support';
import { loadConfig, type WatchdogConfig } from './config.js';
import { startWatchdog } from './watchdog.js';

const START = Date.parse('2026-03-10T13:00:00Z');
const ADMIN = 'watchdog-test-admin';

describe('btc-price-watchdog on the paper world feed', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let db: TestDatabase;
  let exchange: PaperExchange;
  let service: RunningService<WatchdogConfig>;
  let port: number;
  const startExchange = () =>
    startPaperExchange({ port, seed: 'watchdog', clock: 'stepped', startMs: START, adminToken: ADMIN });
  const advance = async (seconds: number) => {
    const res = await fetch(`${exchange.origin}/sim/advance`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ seconds }),
    });
    expect(res.status).toBe(200);
  };
  // prices:btc is latest-value (Redis only, seq = the second's time): its stream is what was published.
  const ticks = async () =>
    (await service.context.router.replay('prices:btc', { sinceSeq: 1, limit: 10_000 })).events.map(
      (e) => e.data as PriceTick,
    );
  const stored = async () =>
    (await service.context.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM price_tick WHERE symbol = 'btc'`))
      .rows[0]!.n;
  const start = (flushMs = 300) =>
    startService({
      config: {
        ...loadConfig({
          DATABASE_URL: db.url,
          REDIS_URL: redis.url,
          POD_NAME: 'btc-price-watchdog-0',
          PRICE_FEED_URL: exchange.feedUrl,
          FEED_DEAD_MS: '2000',
          FLUSH_QUIET_MS: '0',
          PRICE_CACHE_TTL_S: '3',
          PRICE_HISTORY_FLUSH_MS: String(flushMs),
        }),
        port: 0,
      },
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      start: startWatchdog,
    });
  const health = async () =>
    (
      await service.context.pool.query<{ data: HealthChange }>(
        `SELECT data FROM event_log WHERE channel = 'system:health' ORDER BY seq`,
      )
    ).rows.map((r) => r.data.status);

  beforeAll(async () => {
    // prices:btc and system:health are fixed names: a Redis of its own
    redis = await startPrivateRedis();
    db = await createTestDatabase({ redisUrl: null });
    port = await freePort();
    exchange = await startExchange();
    service = await start();
  });
  afterAll(async () => {
    await service?.close();
    await exchange?.close();
    await db?.drop();
    await redis?.close();
  });

  it('stores one price per second with its event, momentum and changes, the cache and the time series', async () => {
    await expect.poll(async () => (await ticks()).length, { timeout: 15_000 }).toBe(1); // the current ticker on subscribe
    await advance(120);
    await expect.poll(async () => (await ticks()).length, { timeout: 15_000 }).toBe(121);
    const all = await ticks();
    const startSec = START / 1000;
    all.forEach((t, i) => {
      expect(t.at).toBe(START + i * 1000);
      expect(t.price).toBe(Number(exchange.world.path.priceAt(startSec + i).toFixed(2)));
    });
    // The history is written in batches (PRICE_HISTORY_FLUSH_MS), never a statement per second.
    await expect.poll(stored, { timeout: 15_000 }).toBe(121);
    // Two minutes of history: momentum from the 1- and 2-minute windows, no 1 h change yet.
    const last = all.at(-1)!;
    const p = (s: number) => all[s]!.price;
    const expected = (0.3 * ((p(120) - p(60)) / p(60)) * 100 + 0.25 * ((p(120) - p(0)) / p(0)) * 100) / 0.55;
    expect(last.momentum).toBeCloseTo(expected, 10);
    expect(last.change1h).toBeNull();
    expect(last.volatility).not.toBeNull();

    const { redis: client } = service.context.router;
    const cached = JSON.parse((await client.get('cache:prices:btc:current'))!) as PriceTick;
    expect(cached.at).toBe(last.at);
    const ttl = await client.ttl('cache:prices:btc:current');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3);
    expect(await client.zcard('ts:prices:btc')).toBe(121);
  });

  it('raises a health event when the feed dies and another when it is back, and stores each second once', async () => {
    await expect.poll(health, { timeout: 15_000 }).toEqual(['up']);
    await exchange.close();
    await expect.poll(health, { timeout: 15_000 }).toEqual(['up', 'down']);
    exchange = await startExchange(); // the same seed and start: the same world, back at its start
    await expect.poll(health, { timeout: 30_000 }).toEqual(['up', 'down', 'up']);
    await advance(125); // seconds 0..120 are stored already: only 121..125 are new
    await expect.poll(async () => (await ticks()).length, { timeout: 15_000 }).toBe(126);
  });

  it('after a restart, stores from the time series what the last batch lacked and publishes nothing twice', async () => {
    await expect.poll(stored, { timeout: 15_000 }).toBe(126);
    // As if it had died before its last batch: the newest 20 seconds are not in the history.
    await service.context.pool.query(`DELETE FROM price_tick WHERE ts > to_timestamp($1::double precision / 1000)`, [
      START + 105 * 1000,
    ]);
    expect(await stored()).toBe(106);
    await service.close();
    service = await start();
    await expect.poll(stored, { timeout: 15_000 }).toBe(126);
    await advance(5);
    await expect.poll(async () => (await ticks()).length, { timeout: 15_000 }).toBe(131);
    const all = await ticks();
    expect(new Set(all.map((t) => t.at)).size).toBe(131);
    // Momentum went on from the restored seconds: the same as from an unbroken history.
    const p = (s: number) => all[s]!.price;
    const expected = (0.3 * ((p(130) - p(70)) / p(70)) * 100 + 0.25 * ((p(130) - p(10)) / p(10)) * 100) / 0.55;
    expect(all.at(-1)!.momentum).toBeCloseTo(expected, 10);
    await expect.poll(stored, { timeout: 15_000 }).toBe(131);
  });

  it('keeps in the time series every second not yet stored, however far the feed runs ahead of the batches', async () => {
    await service.close();
    service = await start(60_000); // no batch during the test
    const before = await stored();
    const minutes = Math.ceil(MOMENTUM_HISTORY_MS / 60_000) + 5; // longer than the series' own window
    const newest = async () => (await ticks()).at(-1)!.at;
    const from = await newest();
    for (let m = 1; m <= minutes; m++) {
      await advance(60);
      await expect.poll(newest, { timeout: 10_000 }).toBe(from + m * 60_000);
    }
    const published = (await ticks()).filter((t) => t.at > from).length;
    expect(published).toBeGreaterThanOrEqual(minutes);
    expect(await stored()).toBe(before);
    // What a restart after a SIGKILL now would store from the series (see the test above): all of it.
    expect(await service.context.router.redis.zcount(PRICE_SERIES_KEY.key('btc'), `(${from}`, '+inf')).toBe(published);
    await service.close(); // writes the batch
    service = await start();
    expect(await stored()).toBe(before + published);
  });
});
