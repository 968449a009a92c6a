import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { z } from 'zod';
import { DEFAULT_SETTINGS } from '@recio/domain';
import { createTestDatabase, type TestDatabase, startPrivateRedis } from '@recio/test-support';
import { loadServiceConfig } from './config.js';
import { parseInput } from './http-error.js';
import { startService, type RunningService } from './service.js';

describe('startService', () => {
  let db: TestDatabase;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let service: RunningService;
  const seen: number[] = [];
  let live = true;

  beforeAll(async () => {
    // a Redis of its own
    redis = await startPrivateRedis();
    db = await createTestDatabase({ redisUrl: null });
    const config = loadServiceConfig(
      'kit-test',
      {},
      { DATABASE_URL: db.url, REDIS_URL: redis.url, PORT: '1', POD_NAME: 'kit-test-0' },
    );
    service = await startService({
      config: { ...config, port: 0 },
      logger: pino({ level: 'silent' }),
      async start(ctx) {
        ctx.http.post('/echo', async (req) => parseInput(z.object({ n: z.number().int() }), req.body));
        await ctx.consume({
          group: 'kit-test',
          channels: ['settings:u1'],
          // Decoded once by the kit: typed by the catalogue, no parse of its own.
          handler: async (event) => {
            if (event.type === 'settings.updated') seen.push(event.data.version);
          },
        });
        return { live: () => live };
      },
    });
  });
  afterAll(async () => {
    await service?.close();
    await db?.drop();
    await redis?.close();
  });

  it('answers /healthz, /readyz and /metrics with PostgreSQL statements counted by kind', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, detail: { redis: true, postgres: true } });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const count = (kind: string) =>
      Number(
        new RegExp(`recio_pg_statements_total\\{source="kit-test",kind="${kind}",service="kit-test"\\} (\\d+)`).exec(
          metrics,
        )?.[1],
      );
    expect(count('query')).toBeGreaterThan(0); // the readiness check's SELECT 1 at least
  });

  it("answers 503 on /healthz while the service says it makes no progress (the kubelet's liveness probe)", async () => {
    live = false;
    try {
      const res = await fetch(`${service.url}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ ok: false });
    } finally {
      live = true;
    }
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  });

  it('runs a consumer named after the pod, with events validated against the platform schemas', async () => {
    const { router } = service.context;
    const update = { userId: 'u1', version: 1, settings: DEFAULT_SETTINGS };
    await router.publish('settings:u1', 'settings.updated', update);
    // Applied first: a batch holding the bad event would be rolled back whole, its handlers run again.
    await expect.poll(() => seen, { timeout: 15_000 }).toEqual([1]);
    // Not a settings.updated: dead-lettered by validation, never seen by the handler.
    // @ts-expect-error -- not a settings update, on purpose: the typed router refuses it at compile time, the consumer at run time
    await router.publish('settings:u1', 'settings.updated', { userId: 'u1', version: -5 });
    await router.publish('settings:u1', 'settings.updated', { ...update, version: 3 });
    await expect.poll(() => seen, { timeout: 15_000 }).toEqual([1, 3]);
    const { rows } = await service.context.pool.query(
      `SELECT seq, error_code FROM dead_letter WHERE group_name = 'kit-test'`,
    );
    expect(rows).toEqual([{ seq: '2', error_code: 'EVENT_INVALID' }]);
    // each applied event is a transaction: BEGIN and COMMIT counted apart from the queries
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(
      Number(
        /recio_pg_statements_total\{source="kit-test",kind="transaction",service="kit-test"\} (\d+)/.exec(metrics)?.[1],
      ),
    ).toBeGreaterThanOrEqual(4);
  });

  it('answers bad requests with a code and keeps serving', async () => {
    const echo = (body: string, contentType = 'application/json') =>
      fetch(`${service.url}/echo`, { method: 'POST', headers: { 'content-type': contentType }, body });
    const bad = await echo('{"n":');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_JSON' } });
    const invalid = await echo('{"n":1.5}');
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      error: { code: 'INVALID_REQUEST', message: expect.stringContaining('body.n') },
    });
    // The framework's own refusals answer with the platform's codes, not Fastify's.
    const tooLarge = await echo(JSON.stringify({ n: 1, pad: 'x'.repeat(70_000) }));
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    const wrongType = await echo('n=1', 'application/x-www-form-urlencoded');
    expect(wrongType.status).toBe(415);
    expect(await wrongType.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    const missing = await fetch(`${service.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const ok = await echo('{"n":2}');
    expect(await ok.json()).toEqual({ n: 2 });
  });

  it('sends security headers with every answer, errors included, and cuts off slow requests', async () => {
    const answers = [
      await fetch(`${service.url}/healthz`),
      await fetch(`${service.url}/nope`),
      await fetch(`${service.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{',
      }),
    ];
    for (const res of answers) {
      expect(res.headers.get('content-security-policy'), String(res.status)).toContain("default-src 'self'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
    // Node enforces these on its connections-checking interval; the server carries the platform's values.
    const server = service.context.http.server;
    expect([server.requestTimeout, server.headersTimeout, server.keepAliveTimeout]).toEqual([30_000, 15_000, 65_000]);
  });
});
