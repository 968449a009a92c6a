import { eventTicker, hourCloseAfter, marketTicker } from '@recio/domain';
import { startService, type RunningService } from '@recio/service-kit';
import * as fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startPrivateRedis, uniqueName, type TestDatabase } from '@recio/test-support';
import { loadConfig as loadTradeManagerConfig, startTradeManager, type TradeManagerConfig } from '@recio/trade-manager';
import { tokenDigest } from './api-tokens.js';
import { loadConfig, type MainAppConfig } from './config.js';
import { startMainApp } from './main-app.js';

// Property-based: whatever a client sends to any route (method, path, query, headers, body), main-app
// answers with a status below 500 and, for a refusal, `{ error: { code } }` with a stable code, and a
// refused request writes nothing. The requests are generated around the real routes and fields so
// that they reach the validation of each, not only the router's 404.
describe('main-app under generated requests', () => {
  let db: TestDatabase;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let tradeManager: RunningService<TradeManagerConfig>;
  let app: RunningService<MainAppConfig>;
  const dir = mkdtempSync(join(tmpdir(), 'main-app-fuzz-'));
  const user = uniqueName('user_');
  const admin = uniqueName('ops_');
  const tokens = { [user]: randomBytes(32).toString('hex'), [admin]: randomBytes(32).toString('hex') };
  const ticker = marketTicker(eventTicker(hourCloseAfter(Date.now() + 120_000)), 99_749.99);

  beforeAll(async () => {
    redis = await startPrivateRedis();
    db = await createTestDatabase({ redisUrl: null });
    const logger = pino({ level: 'silent' });
    tradeManager = await startService({
      config: {
        ...loadTradeManagerConfig({ DATABASE_URL: db.url, REDIS_URL: redis.url, POD_NAME: 'trade-manager-0' }),
        port: 0,
      },
      logger,
      start: startTradeManager,
    });
    const tokensFile = join(dir, 'tokens.json');
    writeFileSync(
      tokensFile,
      JSON.stringify(
        Object.entries(tokens).map(([u, t]) => ({ user_id: u, token_sha256: tokenDigest(t), admin: u === admin })),
      ),
    );
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      POD_NAME: 'main-app-0',
      API_TOKENS_FILE: tokensFile,
      TRADE_MANAGER_URL: tradeManager.url,
      // budgets large enough that the properties see the routes, not only 429s
      ORDER_BURST: '1000',
      ORDER_RATE_PER_SECOND: '1000',
      SETTINGS_CHANGES_PER_MINUTE: '10000',
      READS_PER_MINUTE: '100000',
      REPLAYS_PER_MINUTE: '100000',
    };
    app = await startService({ config: { ...loadConfig(env), port: 0 }, logger, start: startMainApp });
  });
  afterAll(async () => {
    await app?.close();
    await tradeManager?.close();
    await db?.drop();
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Values that hit edges: empty, huge, wrong types, unicode, SQL and path tricks, near-valid ones.
  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom('', ' ', '0', '-1', '1e309', 'NaN', 'null', 'true', "'; DROP TABLE trade; --", '../../etc', '%00'),
    fc.constantFrom(ticker, 'yes', 'no', 'seq:1', 'seq:-1', '2026-01-01T00:00:00Z', `trades:${user}`, 'system:health'),
    fc.uuid(),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
  );
  const value = fc.oneof(
    text,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(text, { maxLength: 3 }),
  );
  const fields = [
    'marketTicker',
    'side',
    'count',
    'limitPriceCents',
    'tradeId',
    'userId',
    'autoEntry',
    'autoStop',
    'enabled',
    'minProbability',
    'version',
    'password',
  ];
  const body = fc.oneof(
    fc.constant(undefined),
    fc.dictionary(fc.constantFrom(...fields), fc.oneof(value, fc.dictionary(fc.constantFrom(...fields), value))),
    fc.json({ maxDepth: 3 }),
    fc.string({ maxLength: 200 }),
  );
  const queryKeys = ['limit', 'before', 'status', 'user', 'channel', 'since', 'cursor', 'fresh'];
  // Mostly a real route with its own method (so its validation runs), sometimes anything at all.
  const id = text.map((x) => encodeURIComponent(x));
  const route = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom<[string, string]>(
        ['GET', '/api/v1/me'],
        ['GET', '/api/v1/trades'],
        ['POST', '/api/v1/trades'],
        ['GET', '/api/v1/settings'],
        ['PATCH', '/api/v1/settings'],
        ['GET', '/api/v1/account'],
        ['GET', '/api/v1/positions'],
        ['GET', '/api/v1/fills'],
        ['GET', '/api/v1/settlements'],
        ['GET', '/api/v1/replay'],
        ['GET', '/api/v1/snapshot'],
        ['POST', '/api/v1/session'],
        ['GET', '/api/v1/session'],
        ['DELETE', '/api/v1/session'],
      ),
    },
    { weight: 2, arbitrary: id.map((x): [string, string] => ['GET', `/api/v1/trades/${x}`]) },
    { weight: 2, arbitrary: id.map((x): [string, string] => ['POST', `/api/v1/trades/${x}/close`]) },
    {
      weight: 1,
      arbitrary: fc.tuple(
        fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE'),
        id.map((x) => `/api/v1/${x}`),
      ),
    },
  );
  const request = fc.record({
    route,
    query: fc.array(fc.tuple(fc.constantFrom(...queryKeys), text), { maxLength: 4 }),
    body,
    as: fc.oneof({ weight: 6, arbitrary: fc.constant(user) }, fc.constantFrom(admin, null, 'forged')),
    contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', undefined),
    idempotencyKey: fc.option(text, { nil: undefined }),
  });

  const written = async (): Promise<string> =>
    JSON.stringify(
      (
        await app.context.pool.query(
          `SELECT (SELECT count(*) FROM trade) AS trades, (SELECT count(*) FROM user_settings) AS settings,
                  (SELECT count(*) FROM event_log) AS events, (SELECT count(*) FROM web_session) AS sessions`,
        )
      ).rows[0],
    );

  it('never answers 5xx, always a stable error code, and writes nothing for a refused request', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const [method, path] = r.route;
        const qs = new URLSearchParams(r.query).toString();
        const headers: Record<string, string> = {};
        if (r.as === 'forged') headers.authorization = `Bearer ${'f'.repeat(64)}`;
        else if (r.as !== null) headers.authorization = `Bearer ${tokens[r.as]}`;
        if (r.contentType && r.body !== undefined) headers['content-type'] = r.contentType;
        if (r.idempotencyKey !== undefined) headers['idempotency-key'] = encodeURIComponent(r.idempotencyKey);
        const payload =
          r.body === undefined || method === 'GET'
            ? undefined
            : typeof r.body === 'string'
              ? r.body
              : JSON.stringify(r.body);
        const before = await written();
        const res = await fetch(`${app.url}${path}${qs ? `?${qs}` : ''}`, {
          method,
          headers,
          body: payload,
        });
        const answer = (await res.json()) as { error?: { code?: unknown } };
        expect(res.status, `${method} ${path}`).toBeLessThan(500);
        if (res.status >= 400) {
          expect(answer.error?.code, JSON.stringify(answer)).toMatch(/^[A-Z][A-Z0-9_]*$/);
          seen.set(String(answer.error!.code), (seen.get(String(answer.error!.code)) ?? 0) + 1);
          // a refusal has no effect (a trade request refused by the trade manager included)
          expect(await written(), `${method} ${path} ${res.status}`).toBe(before);
        }
      }),
      { numRuns: 400 },
    );
    // The generator reached the routes' own validation, not only authentication and 404.
    for (const code of ['UNAUTHENTICATED', 'NOT_FOUND', 'INVALID_REQUEST'])
      expect(seen.get(code), code).toBeGreaterThan(0);
  }, 120_000);
});
