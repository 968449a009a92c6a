import { RATE_LIMIT_KEY } from '@recio/contract';
import { createRedisClient, type RedisClient } from '@recio/router';
import { startPrivateRedis, uniqueName, until } from '@recio/test-support';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestLimits, type Limit, type LimitKind } from './rate-limit.js';

// Two RequestLimits on one Redis are two main-app replicas.
describe('RequestLimits on a real Redis', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  const clients: RedisClient[] = [];
  const budget: Limit = { points: 4, durationSeconds: 600 };
  const limits: Record<LimitKind, Limit> = { orders: budget, settings: budget, reads: budget, replay: budget };
  // As main-app's: connected before the first request (the service starts once Redis is ready).
  const connect = async () => {
    const client = createRedisClient({ url: redis.url }, { offlineQueue: false });
    client.on('error', () => undefined); // the second test stops the server under it
    clients.push(client);
    await until('connected', () => client.status === 'ready' || undefined);
    return client;
  };
  const replica = async (registry = new Registry()) =>
    new RequestLimits(await connect(), limits, pino({ level: 'silent' }), registry);
  const reply = () => ({
    headers: {} as Record<string, string>,
    header(n: string, v: string) {
      this.headers[n] = v;
    },
  });
  const outcome = (p: Promise<void>) =>
    p.then(
      () => 'ok',
      (err: { code?: string }) => err.code ?? 'error',
    );

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await redis?.close();
  });

  it("shares a user's budget across replicas, per kind, in the contract's key (regression: each replica had its own)", async () => {
    const [a, b] = [await replica(), await replica()];
    const user = uniqueName('user_');
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push(await outcome((i % 2 === 0 ? a : b).spend('orders', user, reply())));
    expect(answers).toEqual(['ok', 'ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED']);
    // another kind, another user: their own budgets
    expect(await outcome(a.spend('reads', user, reply()))).toBe('ok');
    expect(await outcome(b.spend('orders', uniqueName('user_'), reply()))).toBe('ok');
    const admin = await connect();
    expect(Number(await admin.get(RATE_LIMIT_KEY.key('orders', user)))).toBe(6);
    expect(await admin.ttl(RATE_LIMIT_KEY.key('orders', user))).toBeGreaterThan(500);
    const r = reply();
    await expect(a.spend('orders', user, r)).rejects.toMatchObject({ status: 429 });
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(500);
  });

  it('keeps limiting in memory while Redis is down, and counts it', async () => {
    const registry = new Registry();
    const a = await replica(registry);
    await redis.close();
    const user = uniqueName('user_');
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) answers.push(await outcome(a.spend('settings', user, reply())));
    expect(answers).toEqual(['ok', 'ok', 'ok', 'ok', 'RATE_LIMITED']);
    const fallbacks = (await registry.getSingleMetric('recio_rate_limit_fallbacks_total')!.get()).values;
    expect(fallbacks.find((v) => v.labels.kind === 'settings')?.value).toBe(5);
  });
});
