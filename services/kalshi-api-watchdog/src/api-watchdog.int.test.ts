import type { HealthChange } from '@recio/platform';
import { startService, type RunningService } from '@recio/service-kit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, createTestDatabase, type TestDatabase } from '@recio/test-support';
import { startPaperExchange, type PaperExchange } from '@recio/paper-exchange';
import { startApiWatchdog } from './api-watchdog.js';
import { loadConfig, type ApiWatchdogConfig } from './config.js';

const ADMIN_TOKEN = 'api-watchdog-test-token';
// Probes every 100 ms; slower than 1 s is degraded, no answer within 4 s is down.
const DEGRADED_MS = 1_000;
const TIMEOUT_MS = 4_000;
const POLL = { timeout: 60_000, interval: 100 };

type Seen = Pick<HealthChange, 'component' | 'status' | 'previous'>;

describe('kalshi-api-watchdog against the paper exchange', () => {
  let db: TestDatabase;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let exchange: PaperExchange;
  let service: RunningService<ApiWatchdogConfig>;

  beforeAll(async () => {
    // system:health is a fixed name: a Redis of its own
    redis = await startPrivateRedis();
    db = await createTestDatabase({ redisUrl: null });
    exchange = await startPaperExchange({ port: 0, clock: 'stepped', adminToken: ADMIN_TOKEN });
    service = await startService({
      config: {
        ...loadConfig({
          DATABASE_URL: db.url,
          REDIS_URL: redis.url,
          POD_NAME: 'kalshi-api-watchdog-0',
          EXCHANGE_BASE_URL: exchange.url,
          PROBE_INTERVAL_MS: '100',
          DEGRADED_LATENCY_MS: String(DEGRADED_MS),
          PROBE_TIMEOUT_MS: String(TIMEOUT_MS),
        }),
        port: 0,
      },
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      start: (ctx) => startApiWatchdog(ctx),
    });
  });
  afterAll(async () => {
    await service?.close();
    await exchange?.close();
    await db?.drop();
    await redis?.close();
  });

  const changes = async (): Promise<HealthChange[]> =>
    (
      await service.context.pool.query<{ data: HealthChange }>(
        `SELECT data FROM event_log WHERE channel = 'system:health' ORDER BY seq`,
      )
    ).rows.map((r) => r.data);
  const seen = async (): Promise<Seen[]> =>
    (await changes()).map(({ component, status, previous }) => ({ component, status, previous }));
  const exchangeChange = (status: Seen['status'], previous: Seen['previous']): Seen => ({
    component: 'exchange',
    status,
    previous,
  });
  const fault = async (spec: Record<string, unknown>) => {
    const res = await fetch(`${exchange.origin}/sim/faults`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
    expect(res.status).toBe(201);
  };

  // Each step waits for the whole list so far: one event per change, none for a state that holds.
  const expected: Seen[] = [];
  const expectChanges = async (...next: Seen[]) => {
    expected.push(...next);
    await expect.poll(seen, POLL).toEqual(expected);
  };

  it('publishes the first observed state of the exchange and of trading, then nothing while it holds', async () => {
    await expectChanges(exchangeChange('up', null), { component: 'trading', status: 'up', previous: null });
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    const [first] = await changes();
    expect(first?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(first?.detail).toMatch(/GET \/exchange\/status \d+ ms; GET \/markets\?event_ticker=KXBTCD-/);
  });

  it('is degraded while the status endpoint answers 503, and up again after', async () => {
    await fault({ status: 503, path: '/exchange/status', count: 3 });
    await expectChanges(exchangeChange('degraded', 'up'), exchangeChange('up', 'degraded'));
    expect((await changes()).at(-2)?.detail).toMatch(/EXCHANGE_UNAVAILABLE/);
  });

  it('is degraded while the markets endpoint answers slower than the threshold', async () => {
    await fault({ delayMs: DEGRADED_MS + 1_500, path: '/markets', count: 2 });
    await expectChanges(exchangeChange('degraded', 'up'), exchangeChange('up', 'degraded'));
    const slow = (await changes()).at(-2);
    expect(slow?.detail).toMatch(/^slow/);
    expect(slow?.latencyMs).toBeGreaterThan(DEGRADED_MS);
  });

  it('is down when a probe gets no answer within the timeout', async () => {
    await fault({ delayMs: TIMEOUT_MS + 2_000, path: '/exchange/status', count: 1 });
    await expectChanges(exchangeChange('down', 'up'), exchangeChange('up', 'down'));
    expect((await changes()).at(-2)).toMatchObject({
      latencyMs: null,
      detail: expect.stringMatching(/EXCHANGE_TIMEOUT/),
    });
  });

  it('is down when the exchange is stopped', async () => {
    await exchange.close();
    await expectChanges(exchangeChange('down', 'up'));
    expect((await changes()).at(-1)?.detail).toMatch(/EXCHANGE_UNAVAILABLE/);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/recio_exchange_health_state\{component="exchange",status="down"[^}]*\} 1/);
    expect(metrics).toMatch(/recio_exchange_health_state\{component="exchange",status="up"[^}]*\} 0/);
  });
});
