import { channelOf } from '@recio/contract';
import { DEFAULT_SETTINGS, eventTicker, hourCloseAfter, marketTicker } from '@recio/domain';
import { GATEWAY_CLOSE, TradeSnapshot } from '@recio/platform';
import { startService, type RunningService } from '@recio/service-kit';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  createTestDatabase,
  startPrivateRedis,
  testRouter,
  uniqueName,
  until,
  type TestDatabase,
} from '@recio/test-support';
import { loadConfig as loadTradeManagerConfig, startTradeManager, type TradeManagerConfig } from '@recio/trade-manager';
import { loadConfig, type MainAppConfig } from './config.js';
import { tokenDigest } from './api-tokens.js';
import { startMainApp } from './main-app.js';

// The burst is what the assertions count; at 0.001 tokens/s no token comes back during the run.
const BURST = 6;

describe('main-app', () => {
  let db: TestDatabase;
  // system:health is a fixed name: a Redis of its own
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  // other services' events (ticks, health notices) come through a router of their own
  let others: Awaited<ReturnType<typeof testRouter>>;
  let tradeManager: RunningService<TradeManagerConfig>;
  let app: RunningService<MainAppConfig>;
  const dir = mkdtempSync(join(tmpdir(), 'main-app-int-'));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  // One user per concern, so each test's counts are its own.
  const alice = uniqueName('user_');
  const bob = uniqueName('user_');
  const carol = uniqueName('user_');
  const dave = uniqueName('user_');
  const erin = uniqueName('user_');
  const frank = uniqueName('user_');
  const grace = uniqueName('user_');
  const ops = uniqueName('ops_');
  const token: Record<string, string> = Object.fromEntries(
    [alice, bob, carol, dave, erin, frank, grace, ops].map((u) => [u, randomBytes(32).toString('hex')]),
  );
  const closeAt = hourCloseAfter(Date.now() + 120_000);
  // main-app holds the tokens' digests only; a new file (renamed over the old, as a Secret changes) is taken live.
  const tokensFile = join(dir, 'tokens.json');
  const writeTokens = (users: string[]) => {
    const entries = users.map((u) => ({
      user_id: u,
      token_sha256: tokenDigest(token[u]!),
      ...(u === ops ? { admin: true } : {}),
    }));
    writeFileSync(`${tokensFile}.new`, JSON.stringify(entries));
    renameSync(`${tokensFile}.new`, tokensFile);
  };
  const ticker = marketTicker(eventTicker(closeAt), 99_749.99);

  beforeAll(async () => {
    redis = await startPrivateRedis();
    const REDIS_URL = redis.url;
    db = await createTestDatabase({ redisUrl: null });
    others = await testRouter(db.url, { redis: { url: REDIS_URL } });
    tradeManager = await startService({
      config: { ...loadTradeManagerConfig({ DATABASE_URL: db.url, REDIS_URL, POD_NAME: 'trade-manager-0' }), port: 0 },
      logger,
      start: startTradeManager,
    });
    writeTokens(Object.keys(token));
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      POD_NAME: 'main-app-0',
      API_TOKENS_FILE: tokensFile,
      API_TOKENS_RELOAD_MS: '100',
      TRADE_MANAGER_URL: tradeManager.url,
      ORDER_RATE_PER_SECOND: '0.001',
      ORDER_BURST: String(BURST),
    };
    app = await startService({ config: { ...loadConfig(env), port: 0 }, logger, start: startMainApp });
  });
  afterAll(async () => {
    await app?.close();
    await tradeManager?.close();
    await others?.close();
    await db?.drop();
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Bodies are checked by the assertions, not by types.
  type Answer = { status: number; headers: Headers; body: any };
  const call = async (
    user: string | null,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        ...(user ? { authorization: `Bearer ${token[user]}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  const order = (user: string, extra: Record<string, unknown> = {}) =>
    call(user, 'POST', '/api/v1/trades', {
      marketTicker: ticker,
      side: 'yes',
      count: 2,
      limitPriceCents: 40,
      tradeId: randomUUID(),
      ...extra,
    });
  const eventsOf = async (channel: string) =>
    (
      await app.context.pool.query(
        `SELECT seq::int, type, data::jsonb AS data FROM event_log WHERE channel = $1 ORDER BY seq`,
        [channel],
      )
    ).rows;

  it('refuses requests without a known bearer token', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${'0'.repeat(64)}` },
      { authorization: `Basic ${token[alice]}` },
      { authorization: token[alice]! },
    ];
    for (const headers of attempts) {
      const res = await call(null, 'GET', '/api/v1/trades', undefined, headers);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    // An unauthenticated order never reaches the trade manager, whatever its body.
    expect((await call(null, 'POST', '/api/v1/trades', { marketTicker: ticker })).status).toBe(401);
    expect((await call(alice, 'GET', '/api/v1/me')).body).toEqual({ userId: alice, admin: false });
    expect((await call(ops, 'GET', '/api/v1/me')).body).toEqual({ userId: ops, admin: true });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it('refuses a revoked token without a restart (regression: tokens were read once, in the clear)', async () => {
    const revoked = uniqueName('user_');
    token[revoked] = randomBytes(32).toString('hex');
    writeTokens(Object.keys(token));
    await expect.poll(async () => (await call(revoked, 'GET', '/api/v1/me')).status, { timeout: 10_000 }).toBe(200);
    // A socket it opened, and one of a token that stays, both following their trades.
    const socketOf = async (user: string) => {
      const ws = new WebSocket(`${app.url.replace('http', 'ws')}/ws`, {
        headers: { authorization: `Bearer ${token[user]!}` },
      });
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send(JSON.stringify({ op: 'subscribe', channel: `trades:${user}` }));
      return { ws, closed };
    };
    const [gone, kept] = [await socketOf(revoked), await socketOf(alice)];
    writeTokens(Object.keys(token).filter((u) => u !== revoked));
    await expect.poll(async () => (await call(revoked, 'GET', '/api/v1/me')).status, { timeout: 10_000 }).toBe(401);
    expect((await call(alice, 'GET', '/api/v1/me')).status).toBe(200);
    // Its socket is closed as unauthenticated (regression: it went on streaming); the other stays open.
    expect(await gone.closed).toBe(GATEWAY_CLOSE.UNAUTHENTICATED);
    expect(kept.ws.readyState).toBe(WebSocket.OPEN);
    kept.ws.close();
  });

  it('needs an id per order (body tradeId or Idempotency-Key): the same id is the same trade, other parameters a conflict', async () => {
    // Without one a retried request could open a second trade.
    expect(await order(frank, { tradeId: undefined })).toMatchObject({
      status: 400,
      body: { error: { code: 'IDEMPOTENCY_KEY_REQUIRED' } },
    });
    const key = randomUUID();
    const fields = { marketTicker: ticker, side: 'yes', count: 1, limitPriceCents: 40 };
    const byHeader = await call(frank, 'POST', '/api/v1/trades', fields, { 'idempotency-key': key });
    expect(byHeader).toMatchObject({ status: 201, body: { trade: { id: key, count: 1 } } });
    // The same id again: the same trade (200); with other parameters: a conflict, not the old trade.
    expect(await order(frank, { tradeId: key, count: 1 })).toMatchObject({ status: 200, body: { trade: { id: key } } });
    expect(await order(frank, { tradeId: key, count: 3 })).toMatchObject({
      status: 409,
      body: { error: { code: 'TRADE_CONFLICT', message: expect.stringContaining('count') } },
    });
    const both = { ...fields, tradeId: randomUUID() };
    expect(await call(frank, 'POST', '/api/v1/trades', both, { 'idempotency-key': key })).toMatchObject({
      status: 400,
      body: { error: { code: 'IDEMPOTENCY_KEY_MISMATCH' } },
    });
  });

  it("opens a trade through the trade manager; only its owner sees it; the trade manager's refusals pass through", async () => {
    // userId and entryMethod in the body are ignored: the token decides who trades, and how.
    const opened = await order(alice, { userId: bob, entryMethod: 'auto' });
    expect(opened.status).toBe(201);
    const trade = TradeSnapshot.parse(opened.body.trade);
    expect(trade).toMatchObject({
      userId: alice,
      status: 'pending',
      entryMethod: 'manual',
      marketTicker: ticker,
      count: 2,
      limitPriceCents: 40,
    });

    const list = await call(alice, 'GET', '/api/v1/trades');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ trades: [trade], nextBefore: null });
    expect((await call(alice, 'GET', '/api/v1/trades?status=pending,open')).body.trades).toHaveLength(1);
    expect((await call(alice, 'GET', '/api/v1/trades?status=closed')).body.trades).toEqual([]);
    // main-app's own row mapping gives what the trade manager gives.
    const fromManager = (await (await fetch(`${tradeManager.url}/trades/${trade.id}`)).json()) as { trade: unknown };
    expect((await call(alice, 'GET', `/api/v1/trades/${trade.id}`)).body).toEqual(fromManager);

    expect(await call(bob, 'GET', `/api/v1/trades/${trade.id}`)).toMatchObject({
      status: 404,
      body: { error: { code: 'TRADE_NOT_FOUND' } },
    });
    expect((await call(bob, 'GET', '/api/v1/trades')).body).toEqual({ trades: [], nextBefore: null });
    expect(await call(bob, 'POST', `/api/v1/trades/${trade.id}/close`)).toMatchObject({
      status: 404,
      body: { error: { code: 'TRADE_NOT_FOUND' } },
    });

    // pending → close_requested is not a transition: the trade manager's 409 reaches the trader.
    expect(await call(alice, 'POST', `/api/v1/trades/${trade.id}/close`)).toMatchObject({
      status: 409,
      body: { error: { code: 'ILLEGAL_TRANSITION' } },
    });
    expect(await order(alice, { marketTicker: 'NOPE' })).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_TICKER' } },
    });
    // Refused by main-app itself before forwarding.
    expect(await order(alice, { side: 'maybe' })).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_REQUEST', message: expect.stringContaining('body.side') } },
    });
    expect(await call(alice, 'GET', '/api/v1/trades/not-a-uuid')).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_REQUEST' } },
    });
    const { rows } = await app.context.pool.query('SELECT count(*)::int AS n FROM trade WHERE user_id = $1', [alice]);
    expect(rows[0].n).toBe(1);
  });

  it('pages trades that share a creation time without skipping or repeating one', async () => {
    // The trade manager stamps trades with the feed's newest second: three trades, one time.
    const second = Math.floor(Date.now() / 1_000) * 1_000;
    await app.context.pool.query(`INSERT INTO price_tick (symbol, ts, price) VALUES ('btc', $1, 100000)`, [
      new Date(second),
    ]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await order(dave)).body.trade.id);
    const seen: string[] = [];
    let before: string | null = null;
    do {
      const page: Answer = await call(dave, 'GET', `/api/v1/trades?limit=2${before ? `&before=${before}` : ''}`);
      expect(page.status).toBe(200);
      for (const t of page.body.trades) expect(t.createdAt).toBe(second);
      seen.push(...page.body.trades.map((t: { id: string }) => t.id));
      before = page.body.nextBefore;
    } while (before);
    expect(seen).toEqual([...ids].sort().reverse());
    // A bare time skips every trade of that time.
    expect((await call(dave, 'GET', `/api/v1/trades?before=${second}`)).body.trades).toEqual([]);
    expect((await call(dave, 'GET', `/api/v1/trades?before=${second + 1}`)).body.trades).toHaveLength(3);
    expect((await call(dave, 'GET', '/api/v1/trades?limit=201')).status).toBe(400);
  });

  it('versions settings, publishes each change with the merged document, and refuses bad patches whole', async () => {
    expect((await call(alice, 'GET', '/api/v1/settings')).body).toEqual({ settings: DEFAULT_SETTINGS, version: 0 });

    const first = await call(alice, 'PATCH', '/api/v1/settings', { autoEntry: { minProbability: 90, enabled: true } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      version: 1,
      settings: { autoEntry: { minProbability: 90, enabled: true, maxTimeSeconds: 900 } },
    });
    const second = await call(alice, 'PATCH', '/api/v1/settings', { autoStop: { stopProbability: 35 } });
    expect(second.body.version).toBe(2);
    const merged = {
      autoEntry: { ...DEFAULT_SETTINGS.autoEntry, minProbability: 90, enabled: true },
      autoStop: { ...DEFAULT_SETTINGS.autoStop, stopProbability: 35 },
    };
    expect(second.body.settings).toEqual(merged);
    expect((await call(alice, 'GET', '/api/v1/settings')).body).toEqual({ settings: merged, version: 2 });

    const bad = await call(alice, 'PATCH', '/api/v1/settings', {
      autoEntry: { positionSize: 0, minProbability: 80, bogus: 1 },
      autoStop: { minHoldSeconds: 1.5 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'INVALID_SETTINGS' });
    expect(bad.body.error.fields).toEqual([
      { field: 'autoEntry.positionSize', code: 'OUT_OF_RANGE', message: expect.any(String) },
      { field: 'autoEntry.bogus', code: 'UNKNOWN_FIELD', message: expect.any(String) },
      { field: 'autoStop.minHoldSeconds', code: 'NOT_AN_INTEGER', message: expect.any(String) },
    ]);
    // Checked against the stored settings: maxTimeSeconds is 900 there.
    const inconsistent = await call(alice, 'PATCH', '/api/v1/settings', { autoEntry: { minTimeSeconds: 901 } });
    expect(inconsistent.body.error.fields).toEqual([
      { field: 'autoEntry.minTimeSeconds', code: 'INCONSISTENT', message: expect.any(String) },
    ]);
    expect((await call(alice, 'PATCH', '/api/v1/settings', [1])).body.error.fields[0]).toMatchObject({
      code: 'NOT_AN_OBJECT',
    });
    // A patch that changes nothing writes nothing.
    expect((await call(alice, 'PATCH', '/api/v1/settings', { autoStop: { stopProbability: 35 } })).body.version).toBe(
      2,
    );
    // Writes are per user, even for an admin.
    expect(
      await call(alice, 'PATCH', `/api/v1/settings?user=${bob}`, { autoStop: { stopProbability: 20 } }),
    ).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(
      await call(ops, 'PATCH', `/api/v1/settings?user=${alice}`, { autoStop: { stopProbability: 20 } }),
    ).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });

    const events = await eventsOf(`settings:${alice}`);
    expect(events).toEqual([
      {
        seq: 1,
        type: 'settings.updated',
        data: { userId: alice, version: 1, settings: { ...merged, autoStop: DEFAULT_SETTINGS.autoStop } },
      },
      { seq: 2, type: 'settings.updated', data: { userId: alice, version: 2, settings: merged } },
    ]);
    expect((await call(alice, 'GET', '/api/v1/settings')).body.version).toBe(2);
  });

  it('applies concurrent patches one after the other: none is lost', async () => {
    // erin has no settings row yet: the first patches race to insert it.
    const patches = [
      { autoEntry: { minProbability: 91 } },
      { autoEntry: { minDifferential: 1 } },
      { autoEntry: { positionSize: 2 } },
      { autoStop: { stopProbability: 30 } },
      { autoStop: { minHoldSeconds: 90 } },
    ];
    const answers = await Promise.all(patches.map((p) => call(erin, 'PATCH', '/api/v1/settings', p)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.body.version).sort()).toEqual([1, 2, 3, 4, 5]);
    const final = (await call(erin, 'GET', '/api/v1/settings')).body;
    expect(final).toEqual({
      version: 5,
      settings: {
        autoEntry: { ...DEFAULT_SETTINGS.autoEntry, minProbability: 91, minDifferential: 1, positionSize: 2 },
        autoStop: { ...DEFAULT_SETTINGS.autoStop, stopProbability: 30, minHoldSeconds: 90 },
      },
    });
    const events = await eventsOf(`settings:${erin}`);
    expect(events.map((e) => [e.seq, e.data.version])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
    expect(events.at(-1)!.data.settings).toEqual(final.settings);
  });

  it(`answers 429 RATE_LIMITED after a burst of ${BURST} order requests, per user`, async () => {
    const answers = await Promise.all(Array.from({ length: BURST + 3 }, () => order(carol)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(BURST);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited).toHaveLength(3);
    for (const a of limited) {
      expect(a.body).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Closing takes from the same bucket; reads do not.
    expect(
      (await call(carol, 'POST', `/api/v1/trades/${answers.find((a) => a.status === 201)!.body.trade.id}/close`))
        .status,
    ).toBe(429);
    expect((await call(carol, 'GET', '/api/v1/trades?limit=200')).body.trades).toHaveLength(BURST);
    // Another user's bucket is untouched.
    expect((await order(bob)).status).toBe(201);
  });

  it("replays the caller's own and the shared channels, refuses others'", async () => {
    const own = await call(alice, 'GET', `/api/v1/replay?channel=trades:${alice}&since=seq:1`);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ next: 2, head: 1, hasMore: false });
    expect(
      own.body.events.map((e: { seq: number; type: string; channel: string }) => [e.seq, e.type, e.channel]),
    ).toEqual([[1, 'trade.created', `trades:${alice}`]]);

    const settings = await call(alice, 'GET', `/api/v1/replay?channel=settings:${alice}&since=seq:2`);
    expect(settings.body.events.map((e: { seq: number }) => e.seq)).toEqual([2]);
    const byTime = await call(
      alice,
      'GET',
      `/api/v1/replay?channel=settings:${alice}&since=2000-01-01T00:00:00Z&limit=1`,
    );
    expect(byTime.body).toMatchObject({ next: 2, hasMore: true });
    expect(byTime.body.events[0].data.version).toBe(1);

    expect((await call(alice, 'GET', '/api/v1/replay?channel=system:health&since=seq:1')).status).toBe(200);
    expect(await call(alice, 'GET', `/api/v1/replay?channel=trades:${bob}&since=seq:1`)).toMatchObject({
      status: 403,
      body: { error: { code: 'FORBIDDEN_CHANNEL' } },
    });
    expect(await call(alice, 'GET', `/api/v1/replay?channel=trades:${alice}&since=yesterday`)).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_REQUEST' } },
    });
    expect((await call(ops, 'GET', `/api/v1/replay?channel=trades:${alice}&since=seq:1`)).body.events).toHaveLength(1);
    expect(await call(ops, 'GET', '/api/v1/replay?channel=nope:x&since=seq:1')).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_CHANNEL' } },
    });

    // History the retention already deleted is answered as such (a channel of this file only, of a
    // class kept 30 days).
    const channel = channelOf('system', uniqueName('t'));
    const change = { component: 'test', status: 'up', previous: null, detail: 'retention', at: 1_000 } as const;
    await others.publishMany([
      { channel, type: 'health.changed', data: change },
      { channel, type: 'health.changed', data: { ...change, at: 2_000 } },
    ]);
    await app.context.pool.query('DELETE FROM event_log WHERE channel = $1 AND seq = 1', [channel]);
    expect(await call(ops, 'GET', `/api/v1/replay?channel=${channel}&since=seq:1`)).toMatchObject({
      status: 410,
      body: { error: { code: 'REPLAY_EXPIRED' } },
    });
    expect((await call(ops, 'GET', `/api/v1/replay?channel=${channel}&since=seq:2`)).body.events).toHaveLength(1);
  });

  it("gives a trader their view of system:health: the public state and their own notices, never another's (regression: every trader read every notice)", async () => {
    const notice = (channel: string, error: string) => ({
      group: 'trade-executor',
      consumer: 'trade-executor-7f9c',
      channel,
      seq: 3,
      event_id: randomUUID(),
      type: 'trade.created',
      deliveries: 8,
      error_code: 'MISSING_CREDENTIALS',
      error,
    });
    const at = Date.now();
    await others.publishMany([
      {
        channel: 'system:health',
        type: 'health.changed',
        data: { component: 'exchange', status: 'down', previous: 'up', detail: 'GET /exchange/status: 503', at },
      },
      {
        channel: 'system:health',
        type: 'health.changed',
        data: {
          component: 'settlement',
          userId: bob,
          status: 'degraded',
          previous: null,
          detail: `no settlement for ${bob}`,
          at,
        },
      },
      {
        channel: 'system:health',
        type: 'consumer.dead_letter',
        data: notice(`trades:${alice}`, 'at Pool.connect (pg/index.js:45)'),
      },
      {
        channel: 'system:health',
        type: 'consumer.dead_letter',
        data: notice(`trades:${bob}`, 'no exchange credentials'),
      },
      {
        channel: 'system:health',
        type: 'stream.repaired',
        data: { channel: `trades:${bob}`, head: 4, removed: 1, groupsReset: 2 },
      },
    ]);
    const page = (user: string) =>
      call(user, 'GET', '/api/v1/replay?channel=system:health&since=2000-01-01T00:00:00Z&limit=1000');
    const mine = (await page(alice)).body;
    const last5 = mine.events.slice(-5);
    expect(last5.map((e: { type: string }) => e.type)).toEqual([
      'health.changed',
      'notice.withheld',
      'consumer.dead_letter',
      'notice.withheld',
      'notice.withheld',
    ]);
    // gapless: the withheld events keep their seq
    expect(mine.events.map((e: { seq: number }) => e.seq)).toEqual(mine.events.map((_: unknown, i: number) => i + 1));
    expect(last5[2].data).toMatchObject({ channel: `trades:${alice}`, error: 'MISSING_CREDENTIALS' });
    expect(JSON.stringify(mine)).not.toContain(bob);
    expect(JSON.stringify(mine)).not.toContain('pg/index.js');
    // bob sees his three; an admin sees all five as published
    expect((await page(bob)).body.events.slice(-5).map((e: { type: string }) => e.type)).toEqual([
      'health.changed',
      'health.changed',
      'notice.withheld',
      'consumer.dead_letter',
      'stream.repaired',
    ]);
    const all = (await page(ops)).body.events.slice(-5);
    expect(all.map((e: { type: string }) => e.type)).not.toContain('notice.withheld');
    expect(all[2].data.error).toBe('at Pool.connect (pg/index.js:45)');
  });

  it("lets an admin read another user's data with ?user=, and no trader", async () => {
    const trades = await call(ops, 'GET', `/api/v1/trades?user=${alice}`);
    expect(trades.status).toBe(200);
    expect(trades.body.trades.map((t: { userId: string }) => t.userId)).toEqual([alice]);
    expect((await call(ops, 'GET', `/api/v1/trades/${trades.body.trades[0].id}?user=${alice}`)).status).toBe(200);
    expect((await call(ops, 'GET', `/api/v1/settings?user=${alice}`)).body.version).toBe(2);
    expect((await call(ops, 'GET', '/api/v1/trades')).body.trades).toEqual([]);
    for (const path of [
      `/api/v1/trades?user=${bob}`,
      `/api/v1/settings?user=${bob}`,
      `/api/v1/account?user=${bob}`,
      `/api/v1/fills?user=${bob}`,
    ]) {
      expect(await call(alice, 'GET', path), path).toMatchObject({
        status: 403,
        body: { error: { code: 'FORBIDDEN' } },
      });
    }
    // Naming oneself is no escalation.
    expect((await call(alice, 'GET', `/api/v1/trades?user=${alice}`)).status).toBe(200);
    // Every user's trades at once: the admin view; a trader may not ask.
    const all = await call(ops, 'GET', '/api/v1/trades?all=1&limit=200');
    expect(all.status).toBe(200);
    const owners = new Set(all.body.trades.map((t: { userId: string }) => t.userId));
    expect(owners.has(alice)).toBe(true);
    expect(owners.size).toBeGreaterThan(1);
    expect(await call(alice, 'GET', '/api/v1/trades?all=1')).toMatchObject({
      status: 403,
      body: { error: { code: 'FORBIDDEN' } },
    });
    expect((await call(ops, 'GET', `/api/v1/trades?all=1&user=${alice}`)).status).toBe(400);
    // Writes stay per user, even for an admin.
    expect(
      await call(ops, 'POST', `/api/v1/trades?user=${alice}`, {
        marketTicker: ticker,
        side: 'yes',
        count: 1,
        limitPriceCents: 40,
        tradeId: randomUUID(),
      }),
    ).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
  });

  it("reads the mirrored account, the user's rows only", async () => {
    const { pool } = app.context;
    expect((await call(alice, 'GET', '/api/v1/account')).body).toEqual({ balanceCents: null, updatedAt: null });
    const synced = new Date('2025-08-01T12:00:00Z');
    await pool.query(
      'INSERT INTO account_balance (user_id, balance_cents, updated_at) VALUES ($1, 123456, $3), ($2, 1, $3)',
      [alice, bob, synced],
    );
    await pool.query(`INSERT INTO account_position VALUES ($1, $3, 5, 200, -30, 7, $4), ($2, $3, -1, 1, 1, 1, $4)`, [
      alice,
      bob,
      ticker,
      synced,
    ]);
    for (let i = 0; i < 3; i++) {
      await pool.query(`INSERT INTO account_fill VALUES ($1, $2, 'o1', $3, 'yes', 'buy', 1, 40, 60, true, 2, $4)`, [
        alice,
        `f${i}`,
        ticker,
        synced,
      ]);
    }
    await pool.query(`INSERT INTO account_fill VALUES ($1, 'fb', 'o2', $2, 'no', 'buy', 1, 40, 60, false, NULL, $3)`, [
      bob,
      ticker,
      synced,
    ]);
    await pool.query(`INSERT INTO account_settlement VALUES ($1, $2, 'yes', 5, 0, 500, $3)`, [alice, ticker, synced]);

    expect((await call(alice, 'GET', '/api/v1/account')).body).toEqual({
      balanceCents: 123_456,
      updatedAt: synced.getTime(),
    });
    expect((await call(alice, 'GET', '/api/v1/positions')).body).toEqual({
      positions: [
        {
          ticker,
          position: 5,
          marketExposureCents: 200,
          realizedPnlCents: -30,
          feesPaidCents: 7,
          updatedAt: synced.getTime(),
        },
      ],
    });
    const page1 = (await call(alice, 'GET', '/api/v1/fills?limit=2')).body;
    expect(page1.fills.map((f: { fillId: string }) => f.fillId)).toEqual(['f2', 'f1']);
    expect(page1.fills[0]).toEqual({
      fillId: 'f2',
      orderId: 'o1',
      ticker,
      side: 'yes',
      action: 'buy',
      count: 1,
      yesPrice: 40,
      noPrice: 60,
      isTaker: true,
      feeCents: 2,
      createdAt: synced.getTime(),
    });
    const page2 = (await call(alice, 'GET', `/api/v1/fills?limit=2&before=${page1.nextBefore}`)).body;
    expect(page2).toMatchObject({ fills: [{ fillId: 'f0' }], nextBefore: null });
    expect((await call(alice, 'GET', '/api/v1/settlements')).body).toEqual({
      settlements: [
        { ticker, marketResult: 'yes', yesCount: 5, noCount: 0, revenueCents: 500, settledAt: synced.getTime() },
      ],
      nextBefore: null,
    });
    expect((await call(bob, 'GET', '/api/v1/fills')).body.fills.map((f: { fillId: string }) => f.fillId)).toEqual([
      'fb',
    ]);
    expect((await call(ops, 'GET', `/api/v1/account?user=${bob}`)).body.balanceCents).toBe(1);
  });

  it("serves a page's snapshot from the Redis cache: PostgreSQL once, then not at all; each part at its channel's seq, which the replay carries on from", async () => {
    const metric = async (name: string, label = '') => {
      const text = await (await fetch(`${app.url}/metrics`)).text();
      return [...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\d+)`, 'gm'))]
        .filter((m) => m[1]!.includes(label))
        .reduce((sum, m) => sum + Number(m[2]), 0);
    };
    const statements = () => metric('recio_pg_statements_total');
    const snapshot = async (user: string, query = '') => {
      const answer = await call(user, 'GET', `/api/v1/snapshot${query}`);
      expect(answer.status).toBe(200);
      return answer.body;
    };
    const head = async (channel: string) => (await eventsOf(channel)).length;
    const first = await order(grace);
    await call(grace, 'PATCH', '/api/v1/settings', { autoEntry: { minProbability: 91 } });
    // A public state, grace's own notice (his spike guard), and another trader's: grace sees the first two.
    const at = Date.now();
    const guard = (userId: string) => ({
      component: 'spike-guard',
      userId,
      status: 'paused',
      previous: 'up',
      detail: 'auto entry paused: momentum spike',
      resumesAt: at + 900_000,
      at,
    });
    await others.publishMany([
      {
        channel: 'system:health',
        type: 'health.changed',
        data: { component: 'price-feed', status: 'up', previous: 'down', detail: 'ticking', at },
      },
      { channel: 'system:health', type: 'health.changed', data: guard(grace) },
      { channel: 'system:health', type: 'health.changed', data: guard(bob) },
    ]);
    const healthHead = await head('system:health');
    await until(
      'the hub saw the health events',
      async () => (await snapshot(ops)).health.seq === healthHead || undefined,
    );

    const misses0 = await metric('recio_cache_misses_total', 'family="trader-view"');
    const s1 = await snapshot(grace);
    expect(s1.source).toBe('database');
    expect(s1.trades.live.map((t: { id: string }) => t.id)).toContain(first.body.trade.id);
    expect(s1.trades.seq).toBe(await head(`trades:${grace}`));
    expect(s1.settings).toMatchObject({ seq: await head(`settings:${grace}`), version: 1 });
    expect(s1.settings.settings.autoEntry.minProbability).toBe(91);
    expect(s1.account).toEqual({ seq: 0, balanceCents: null, fills: [], settlements: [] });
    expect(s1.health.seq).toBe(healthHead);
    const components = s1.health.changes.map(
      (h: { component: string; userId?: string }) => h.component + (h.userId ?? ''),
    );
    expect(components).toEqual(expect.arrayContaining(['price-feed', `spike-guard${grace}`]));
    expect(JSON.stringify(s1.health)).not.toContain(bob);
    expect(await metric('recio_cache_misses_total', 'family="trader-view"')).toBe(misses0 + 1);

    // The next page load: Redis answers, PostgreSQL hears nothing.
    const before = await statements();
    const s2 = await snapshot(grace);
    expect(await statements()).toBe(before);
    expect(s2).toEqual({ ...s1, source: 'cache' });

    // A change is not pushed into the cache: the cached view stays at its seq, and the channel's
    // replay from there brings the page to what PostgreSQL has now.
    const second = await order(grace);
    const s3 = await snapshot(grace);
    expect(s3.source).toBe('cache');
    expect(s3.trades.seq).toBe(s1.trades.seq);
    const replay = await call(grace, 'GET', `/api/v1/replay?channel=trades:${grace}&since=seq:${s3.trades.seq + 1}`);
    const live = new Map(s3.trades.live.map((t: { id: string }) => [t.id, t]));
    for (const e of replay.body.events) if (e.data.trade) live.set(e.data.trade.id, e.data.trade);
    const fresh = await snapshot(grace, '?fresh=1');
    expect(fresh.source).toBe('database');
    expect(fresh.trades.seq).toBe(replay.body.events.at(-1).seq);
    expect(new Map(fresh.trades.live.map((t: { id: string }) => [t.id, t]))).toEqual(live);
    expect(live.has(second.body.trade.id)).toBe(true);

    // Redis is a cache, not the authority: what fails the view's schema, or is another user's, is a miss.
    const key = `cache:view:${grace}`;
    const redisClient = others.redis;
    for (const bad of ['not json', JSON.stringify({ ...fresh, source: undefined, userId: bob }), '{"v":2}']) {
      await redisClient.set(key, bad);
      expect((await snapshot(grace)).source).toBe('database');
    }
    // Page loads that miss together wait for one read of PostgreSQL (no thundering herd): the
    // read is held on a lock until all ten have missed the cache.
    let n = await statements();
    await snapshot(grace, '?fresh=1');
    const oneRead = (await statements()) - n;
    expect(oneRead).toBeGreaterThan(0);
    await redisClient.del(key);
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE user_settings IN ACCESS EXCLUSIVE MODE');
      n = await statements();
      const misses = await metric('recio_cache_misses_total', 'family="trader-view"');
      const herd = Promise.all(Array.from({ length: 10 }, () => snapshot(grace)));
      await until('ten loads missed the cache', async () =>
        (await metric('recio_cache_misses_total', 'family="trader-view"')) === misses + 10 ? true : undefined,
      );
      await locker.query('COMMIT');
      expect((await herd).map((h) => h.source)).toEqual(Array(10).fill('database'));
      expect((await statements()) - n).toBe(oneRead);
    } finally {
      await locker.end();
    }
    const bobs = await snapshot(bob);
    expect(bobs).toMatchObject({ source: 'database', userId: bob });
    expect(JSON.stringify(bobs.trades)).not.toContain(grace);
    // An admin's view of another trader is that trader's; a trader's of another is refused.
    expect((await snapshot(ops, `?user=${grace}`)).trades.seq).toBe(fresh.trades.seq);
    expect(await call(bob, 'GET', `/api/v1/snapshot?user=${grace}`)).toMatchObject({
      status: 403,
      body: { error: { code: 'FORBIDDEN' } },
    });
  });

  it("starts with an empty health state when the health channel's tail is past retention (regression: the start failed)", async () => {
    // What retention leaves of a quiet channel: its newest event only, in PostgreSQL, and nothing in Redis.
    const { pool } = app.context;
    const { rows } = await pool.query<{ head: number }>(
      `SELECT last_seq::int AS head FROM channel_head WHERE channel = 'system:health'`,
    );
    expect(rows[0]!.head).toBeGreaterThan(1);
    await pool.query(`DELETE FROM event_log WHERE channel = 'system:health' AND seq < $1`, [rows[0]!.head]);
    await others.redis.xtrim('stream:{system:health}', 'MAXLEN', 0);
    const second = await startService({
      config: {
        ...loadConfig({
          DATABASE_URL: db.url,
          REDIS_URL: redis.url,
          POD_NAME: 'main-app-1',
          API_TOKENS_FILE: tokensFile,
          TRADE_MANAGER_URL: tradeManager.url,
        }),
        port: 0,
      },
      logger,
      start: startMainApp,
    });
    try {
      const res = await fetch(`${second.url}/api/v1/snapshot`, { headers: { authorization: `Bearer ${token[ops]}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { health: { seq: number } }).health.seq).toBe(rows[0]!.head);
    } finally {
      await second.close();
    }
  });

  // Last: it stops the trade manager.
  it('answers 503 TRADE_MANAGER_UNAVAILABLE while the trade manager is down, and keeps serving reads', async () => {
    await tradeManager.close();
    expect(await order(alice)).toMatchObject({ status: 503, body: { error: { code: 'TRADE_MANAGER_UNAVAILABLE' } } });
    expect(await call(alice, 'POST', `/api/v1/trades/${randomUUID()}/close`)).toMatchObject({
      status: 503,
      body: { error: { code: 'TRADE_MANAGER_UNAVAILABLE' } },
    });
    expect((await call(alice, 'GET', '/api/v1/trades')).body.trades).toHaveLength(1);
  });
});
