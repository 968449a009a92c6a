import { eventTicker, hourCloseAfter, marketTicker } from '@recio/domain';
import type { TradeSnapshot } from '@recio/platform';
import { startService, type RunningService } from '@recio/service-kit';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { streamKey } from '@recio/router';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startPrivateRedis,
  createTestDatabase,
  uniqueName,
  type TestDatabase,
  testRouter,
  until as waitUntil,
  priceTick,
} from '@recio/test-support';
import { loadConfig, type TradeManagerConfig } from './config.js';
import { TradeBook } from './trade-book.js';
import { startTradeManager } from './trade-manager.js';

describe('trade-manager', () => {
  let db: TestDatabase;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let service: RunningService<TradeManagerConfig>;
  // Other services' events come through a router of their own.
  let others: Awaited<ReturnType<typeof testRouter>>;
  const user = uniqueName('user_');
  const closeAt = hourCloseAfter(Date.now() + 120_000);
  const event = eventTicker(closeAt);
  const ticker = marketTicker(event, 99_749.99);

  const start = async () =>
    startService({
      config: {
        ...loadConfig({
          DATABASE_URL: db.url,
          REDIS_URL: redis.url,
          POD_NAME: 'trade-manager-0',
          PENDING_TIMEOUT_MS: '60000',
          CLOSE_TIMEOUT_MS: '60000',
        }),
        port: 0,
      },
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      start: startTradeManager,
    });

  beforeAll(async () => {
    // prices:btc is a fixed name: a Redis of its own
    redis = await startPrivateRedis();
    db = await createTestDatabase({ redisUrl: null });
    others = await testRouter(db.url, { redis: { url: redis.url } });
    service = await start();
  });
  // The platform's "now" is the newest published second (prices:btc's last seq): a test that ticked
  // past its market's close would make the next test's market closed. Each starts with no tick (the
  // wall clock), and the trade manager's group comes back on the next one.
  beforeEach(async () => {
    await others.redis.del(streamKey('prices:btc'));
  });
  afterAll(async () => {
    await service?.close();
    await others?.close();
    await db?.drop();
    await redis?.close();
  });

  // An open names its trade id (required); the tests that are not about it get a fresh one.
  const post = async (path: string, body: unknown, withId = true) => {
    if (withId && path === '/trades' && typeof body === 'object' && body !== null && !('tradeId' in body))
      body = { ...body, tradeId: randomUUID() };
    const res = await fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      body: (await res.json()) as { trade: TradeSnapshot; error?: { code: string; message: string } },
    };
  };
  const trade = async (id: string): Promise<TradeSnapshot> =>
    ((await (await fetch(`${service.url}/trades/${id}`)).json()) as { trade: TradeSnapshot }).trade;
  const publish = (type: string, data: unknown) => others.publish(`trades:${user}`, type, data);
  const openManual = async (count = 3, limit = 40) => {
    const res = await post('/trades', {
      userId: user,
      marketTicker: ticker,
      side: 'yes',
      count,
      limitPriceCents: limit,
    });
    expect(res.status).toBe(201);
    return res.body.trade;
  };
  const fill = (t: TradeSnapshot, leg: 'open' | 'close', priceCents: number, feesCents: number, attempt = 0) =>
    publish('order.filled', {
      tradeId: t.id,
      userId: user,
      leg,
      attempt,
      orderId: randomUUID(),
      clientOrderId: t.id,
      ticker,
      side: leg === 'open' ? t.side : 'no',
      count: t.count,
      priceCents,
      feesCents,
      filledAt: Date.now(),
    });
  const reject = (t: TradeSnapshot, leg: 'open' | 'close', code: string, attempt = 0) =>
    publish('order.rejected', {
      tradeId: t.id,
      userId: user,
      leg,
      attempt,
      clientOrderId: t.id,
      code,
      message: code,
      rejectedAt: Date.now(),
    });
  const publishTick = (at: number, price?: number) =>
    others.publishLatest('prices:btc', 'price.tick', priceTick(at, price), at);
  const until = (id: string, status: string) =>
    expect.poll(async () => (await trade(id)).status, { timeout: 15_000 }).toBe(status);

  const realized = async () => {
    const { registry } = service.context;
    const value = async (name: string, labels: Record<string, string>) =>
      (await registry.getSingleMetric(name)!.get()).values.find((v) =>
        Object.entries(labels).every(([k, l]) => v.labels[k] === l),
      )?.value ?? 0;
    return {
      gain: await value('recio_realized_pnl_usd_total', { direction: 'gain' }),
      loss: await value('recio_realized_pnl_usd_total', { direction: 'loss' }),
      expiredW: await value('recio_trades_ended_total', { method: 'expired', result: 'W' }),
      expiredL: await value('recio_trades_ended_total', { method: 'expired', result: 'L' }),
    };
  };

  it('opens a manual trade pending, opens it on the fill, closes it with the pnl', async () => {
    const t = await openManual(3, 40);
    expect(t).toMatchObject({
      status: 'pending',
      eventTicker: event,
      strike: 99_749.99,
      marketCloseAt: closeAt,
      entryMethod: 'manual',
    });
    await fill(t, 'open', 38, 5);
    await until(t.id, 'open');
    expect(await trade(t.id)).toMatchObject({ buyPriceCents: 38, feesCents: 5 });

    const closing = await post(`/trades/${t.id}/close`, { userId: user });
    expect(closing.status).toBe(200);
    expect(closing.body.trade).toMatchObject({ status: 'closing', closeMethod: 'manual', closeAttempts: 1 });
    // closing → close_requested is not a transition
    const again = await post(`/trades/${t.id}/close`, { userId: user });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'ILLEGAL_TRANSITION' } } });

    // Close: NO bought at 45 → sell = 100 − 45 = 55; pnl = (55 − 38) × 3 − (5 + 4) = 51 − 9 = 42.
    await fill(t, 'close', 45, 4, 1);
    await until(t.id, 'closed');
    expect(await trade(t.id)).toMatchObject({
      closeFillCents: 45,
      sellPriceCents: 55,
      feesCents: 9,
      pnlCents: 42,
      winLoss: 'W',
    });
    const { rows } = await service.context.pool.query(`SELECT type FROM event_log WHERE channel = $1 ORDER BY seq`, [
      `trades:${user}`,
    ]);
    expect(rows.map((r) => r.type)).toEqual([
      'trade.created',
      'order.filled',
      'trade.opened',
      'trade.closing',
      'order.filled',
      'trade.closed',
    ]);
  });

  it('cancels an entry refused for volume, errors on other refusals, reopens after a refused close', async () => {
    const a = await openManual();
    await reject(a, 'open', 'insufficient_resting_volume');
    await until(a.id, 'cancelled');
    const b = await openManual();
    await reject(b, 'open', 'market_closed');
    await until(b.id, 'error');
    expect((await trade(b.id)).statusReason).toMatch(/market_closed/);

    const c = await openManual();
    await fill(c, 'open', 30, 2);
    await until(c.id, 'open');
    await post(`/trades/${c.id}/close`, { userId: user });
    await reject(c, 'close', 'insufficient_resting_volume', 1);
    await until(c.id, 'open');
    // a second close is attempt 2; a late report about attempt 1 changes nothing
    expect((await post(`/trades/${c.id}/close`, { userId: user })).body.trade.closeAttempts).toBe(2);
    await fill(c, 'close', 60, 1, 1);
    await fill(c, 'close', 60, 1, 2);
    await until(c.id, 'closed');
    // sell 40, pnl = (40 − 30) × 3 − (2 + 1) = 27
    expect((await trade(c.id)).pnlCents).toBe(27);
  });

  it('expires open trades at the close on the price tick and settles them from the settlement', async () => {
    const win = await openManual(2, 70);
    const lose = await post('/trades', {
      userId: user,
      marketTicker: ticker,
      side: 'no',
      count: 4,
      limitPriceCents: 25,
    });
    const pending = await openManual(1, 50);
    await fill(win, 'open', 70, 3);
    await fill(lose.body.trade, 'open', 25, 2);
    await until(win.id, 'open');
    await until(lose.body.trade.id, 'open');

    await publishTick(closeAt - 1_000, 100_123);
    // the pending trade is older than the timeout (60 s) only at the close
    await publishTick(closeAt + 61_000, 100_123);
    await until(win.id, 'expired');
    await until(pending.id, 'cancelled');
    expect(await trade(win.id)).toMatchObject({ expiredAt: closeAt, priceAtClose: 100_123 });

    // Settled YES: the YES trade pays 100 → pnl = (100 − 70) × 2 − 3 = 57 (W); NO: (0 − 25) × 4 − 2 = −102 (L).
    const before = await realized();
    await others.publish(`account:${user}`, 'settlement.recorded', {
      userId: user,
      settlement: {
        ticker,
        marketResult: 'yes',
        yesCount: 2,
        noCount: 4,
        revenueCents: 200,
        settledAt: closeAt + 120_000,
      },
    });
    await until(win.id, 'closed');
    await until(lose.body.trade.id, 'closed');
    expect(await trade(win.id)).toMatchObject({
      sellPriceCents: 100,
      pnlCents: 57,
      winLoss: 'W',
      closeMethod: 'expired',
    });
    expect(await trade(lose.body.trade.id)).toMatchObject({ sellPriceCents: 0, pnlCents: -102, winLoss: 'L' });
    // Counted once each, in dollars, gains and losses apart (the trading dashboard's pnl).
    const after = await realized();
    expect(after.gain - before.gain).toBeCloseTo(0.57, 6);
    expect(after.loss - before.loss).toBeCloseTo(1.02, 6);
    expect(after.expiredW - before.expiredW).toBe(1);
    expect(after.expiredL - before.expiredL).toBe(1);
  });

  it('closes a trade whose settlement arrived before its expiring tick, as if they came in order', async () => {
    const other = marketTicker(event, 100_249.99);
    const res = await post('/trades', { userId: user, marketTicker: other, side: 'no', count: 2, limitPriceCents: 60 });
    const t = res.body.trade;
    await fill(t, 'open', 60, 2);
    await until(t.id, 'open');
    // Settled NO first: the trade is still open (its market's close tick has not come) ...
    await others.publish(`account:${user}`, 'settlement.recorded', {
      userId: user,
      settlement: {
        ticker: other,
        marketResult: 'no',
        yesCount: 0,
        noCount: 2,
        revenueCents: 200,
        settledAt: closeAt + 5_000,
      },
    });
    await expect
      .poll(
        async () =>
          (await service.context.pool.query('SELECT 1 FROM trade_settlement WHERE ticker = $1', [other])).rowCount,
        { timeout: 15_000 },
      )
      .toBe(1);
    expect((await trade(t.id)).status).toBe('open');
    // ... then the tick expires it and the known settlement closes it: (100 − 60) × 2 − 2 = 78.
    await publishTick(closeAt + 120_000, 99_000);
    await until(t.id, 'closed');
    expect(await trade(t.id)).toMatchObject({
      expiredAt: closeAt,
      priceAtClose: 99_000,
      sellPriceCents: 100,
      pnlCents: 78,
      winLoss: 'W',
      closedAt: closeAt + 5_000,
    });
    const { rows } = await service.context.pool.query(
      `SELECT type FROM event_log WHERE channel = $1 AND data::jsonb #>> '{trade,id}' = $2 ORDER BY seq`,
      [`trades:${user}`, t.id],
    );
    expect(rows.map((r) => r.type)).toEqual(['trade.created', 'trade.opened', 'trade.expired', 'trade.closed']);
    // Expired and closed in one transaction: the second event's `from` is what the first left.
    expect((await transitionsOf(t.id)).slice(2)).toEqual([
      'trade.expired: open → expired',
      'trade.closed: expired → closed',
    ]);
  });

  it('regression: a settlement racing the expiring tick left its trades expired forever', async () => {
    // Found by the e2e chaos run. Two transactions at once: the tick expires the trade (and sees
    // no settlement yet), the settlement looked for expired trades (and saw it still open).
    const laterClose = closeAt + 3_600_000;
    const ticker2 = marketTicker(eventTicker(laterClose), 99_749.99);
    const t = (
      await post('/trades', { userId: user, marketTicker: ticker2, side: 'yes', count: 1, limitPriceCents: 90 })
    ).body.trade;
    await fill(t, 'open', 90, 1);
    await until(t.id, 'open');
    const book = new TradeBook({
      logger: pino({ level: 'silent' }),
      pendingTimeoutMs: 60_000,
      closeTimeoutMs: 60_000,
      settlementOverdueMs: 1_800_000,
      registry: new Registry(),
    });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let expired!: () => void;
    const tickHolding = new Promise<void>((r) => (expired = r));
    const { router, pool } = service.context;
    const pidQuery = 'SELECT pg_backend_pid() AS pid';
    let tickPid!: number;
    const tick = router.transaction(async (tx) => {
      tickPid = (await tx.query<{ pid: number }>(pidQuery)).rows[0]!.pid;
      await book.tick(tx, laterClose + 1_000, 100_500);
      expired();
      await held; // the tick's transaction stays open, the trade's row locked, while the settlement runs
    });
    await tickHolding;
    const settlement = {
      ticker: ticker2,
      marketResult: 'yes' as const,
      yesCount: 1,
      noCount: 0,
      revenueCents: 100,
      settledAt: laterClose + 2_000,
    };
    let settlePid: number | undefined;
    let settleEnded = false;
    const settle = router.transaction(async (tx) => {
      settlePid = (await tx.query<{ pid: number }>(pidQuery)).rows[0]!.pid;
      return book.settle(tx, user, settlement);
    });
    void settle.then(
      () => (settleEnded = true),
      () => (settleEnded = true),
    );
    // The race, every time: the tick is released only once the settlement has run into the lock
    // the tick's uncommitted expiry holds (PostgreSQL shows its backend waiting on a Lock that the
    // tick's backend blocks). A settlement that did not wait there (the bug: it saw the trade
    // still open and skipped it) ends on its own while the tick holds; the assertions below fail.
    const settlementWas = await waitUntil(
      "the settlement blocked on the trade lock the tick's transaction holds, or ended without waiting",
      async () => {
        if (settleEnded) return 'ended without waiting';
        if (settlePid === undefined) return false;
        const { rows } = await pool.query<{ blocked: boolean }>(
          `SELECT wait_event_type = 'Lock' AND $2::int = ANY (pg_blocking_pids(pid)) AS blocked
             FROM pg_stat_activity WHERE pid = $1`,
          [settlePid, tickPid],
        );
        return rows[0]?.blocked === true && "blocked by the tick's lock";
      },
    );
    release();
    await Promise.all([tick, settle]);
    // (100 − 90) × 1 − 1 = 9
    expect(await trade(t.id), `the settlement ${settlementWas}`).toMatchObject({
      status: 'closed',
      closeMethod: 'expired',
      pnlCents: 9,
      closedAt: laterClose + 2_000,
    });
  });

  it('answers bad requests with a code and never writes a row for them', async () => {
    const { rows: before } = await service.context.pool.query('SELECT count(*)::int AS n FROM trade');
    expect(
      (await post('/trades', { userId: user, marketTicker: ticker, side: 'maybe', count: 1, limitPriceCents: 50 })).body
        .error?.code,
    ).toBe('INVALID_REQUEST');
    expect(
      (await post('/trades', { userId: user, marketTicker: 'NOPE', side: 'yes', count: 1, limitPriceCents: 50 })).body
        .error?.code,
    ).toBe('INVALID_TICKER');
    expect(
      (
        await post('/trades', {
          userId: user,
          marketTicker: marketTicker(eventTicker(hourCloseAfter(Date.now()) - 7_200_000), 99_749.99),
          side: 'yes',
          count: 1,
          limitPriceCents: 50,
        })
      ).body.error?.code,
    ).toBe('MARKET_CLOSED');
    expect(
      (await post('/trades', { userId: user, marketTicker: ticker, side: 'yes', count: 0, limitPriceCents: 100 }))
        .status,
    ).toBe(400);
    expect((await post(`/trades/${randomUUID()}/close`, { userId: user })).status).toBe(404);
    expect((await post('/trades/not-a-uuid/close', { userId: user })).body.error?.code).toBe('INVALID_REQUEST');
    const { rows: after } = await service.context.pool.query('SELECT count(*)::int AS n FROM trade');
    expect(after[0].n).toBe(before[0].n);
  });

  it('opens idempotently on the request id, and supervisors open through events', async () => {
    const tradeId = randomUUID();
    const body = { tradeId, userId: user, marketTicker: ticker, side: 'yes', count: 1, limitPriceCents: 50 };
    expect((await post('/trades', body)).status).toBe(201);
    expect((await post('/trades', body)).status).toBe(200);
    // The same id with another order is a conflict, never the old trade; no id at all is refused.
    expect(await post('/trades', { ...body, limitPriceCents: 60 })).toMatchObject({
      status: 409,
      body: { error: { code: 'TRADE_CONFLICT' } },
    });
    const { tradeId: _omitted, ...withoutId } = body;
    expect(await post('/trades', withoutId, false)).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_REQUEST', message: expect.stringContaining('tradeId') } },
    });
    const viaEvent = randomUUID();
    const request = {
      tradeId: viaEvent,
      userId: user,
      symbol: 'btc',
      eventTicker: event,
      marketTicker: ticker,
      strike: 99_749.99,
      side: 'no',
      count: 2,
      limitPriceCents: 12,
      entryMethod: 'auto',
      probability: 96.5,
      diff: 1.2,
      momentum: -0.1,
      volatility: 0.5,
      priceAtOpen: 99_000,
      marketCloseAt: closeAt,
      requestedAt: Date.now(),
    };
    await publish('trade.open_requested', request);
    await publish('trade.open_requested', request); // a supervisor's handler that ran twice
    await until(viaEvent, 'pending');
    const { rows } = await service.context.pool.query(
      `SELECT count(*)::int AS n FROM event_log WHERE channel = $1 AND type = 'trade.created' AND data::jsonb #>> '{trade,id}' IN ($2, $3)`,
      [`trades:${user}`, tradeId, viaEvent],
    );
    expect(rows[0].n).toBe(2);
  });

  it('resumes after a restart: events published while it was down are applied', async () => {
    const t = await openManual(1, 50);
    await service.close();
    await fill(t, 'open', 49, 1);
    service = await start();
    await until(t.id, 'open');
  });

  const typesOf = async (tradeId: string) =>
    (
      await service.context.pool.query<{ type: string }>(
        `SELECT type FROM event_log WHERE channel = $1 AND data::jsonb #>> '{trade,id}' = $2 ORDER BY seq`,
        [`trades:${user}`, tradeId],
      )
    ).rows.map((r) => r.type);

  const transitionsOf = async (tradeId: string) =>
    (
      await service.context.pool.query<{ type: string; from: string | null; status: string }>(
        `SELECT type, data::jsonb ->> 'from' AS from, data::jsonb #>> '{trade,status}' AS status
           FROM event_log WHERE channel = $1 AND data::jsonb #>> '{trade,id}' = $2 ORDER BY seq`,
        [`trades:${user}`, tradeId],
      )
    ).rows.map((r) => `${r.type}: ${r.from === null ? '' : `${r.from} `}→ ${r.status}`);

  it('opens a cancelled trade whose entry order filled after all (regression: a lost reply left the position untracked)', async () => {
    const t = await openManual(2, 55);
    await publishTick(t.createdAt + 61_000);
    await until(t.id, 'cancelled');
    // The executor asked the exchange on trade.cancelled: the order had filled.
    await fill(t, 'open', 54, 2);
    await until(t.id, 'open');
    expect(await trade(t.id)).toMatchObject({
      buyPriceCents: 54,
      feesCents: 2,
      closedAt: null,
      statusReason: expect.stringMatching(/^opened late/),
    });
    expect(await typesOf(t.id)).toEqual(['trade.created', 'trade.cancelled', 'trade.opened']);
    // Each event says what the one before it left (consumers tell a late open from a first one).
    expect(await transitionsOf(t.id)).toEqual([
      'trade.created: → pending',
      'trade.cancelled: pending → cancelled',
      'trade.opened: cancelled → open',
    ]);
  });

  it('asks for a close with no outcome to be confirmed once per close timeout, and says so when it stays unconfirmed', async () => {
    const t = await openManual(1, 50);
    await fill(t, 'open', 50, 1);
    await until(t.id, 'open');
    const closing = (await post(`/trades/${t.id}/close`, { userId: user })).body.trade;
    const asked = async () => (await typesOf(t.id)).filter((type) => type === 'trade.close_unconfirmed').length;
    const notices = async () =>
      (
        await service.context.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM event_log WHERE channel = 'system:health' AND data::jsonb ->> 'detail' LIKE $1`,
          [`%trade ${t.id} unconfirmed%`],
        )
      ).rows[0]!.n;
    await publishTick(closing.closingAt! + 59_000); // within the timeout: nothing
    await publishTick(closing.closingAt! + 61_000); // past it: asked
    await expect.poll(asked, { timeout: 15_000 }).toBe(1);
    await publishTick(closing.closingAt! + 62_000); // asked a second ago: not again
    await publishTick(closing.closingAt! + 122_000); // a timeout after the question: asked again, and said
    await expect.poll(asked, { timeout: 15_000 }).toBe(2);
    await expect.poll(notices, { timeout: 15_000 }).toBe(1);
    expect((await trade(t.id)).status).toBe('closing');
    // The executor's answer: the exchange never received the close; the trade is open again.
    await reject(t, 'close', 'order_not_found', 1);
    await until(t.id, 'open');
    expect(await asked()).toBe(2);
  });

  it('asks about a trade cancelled for no outcome again each close timeout until the executor answers (regression: an exchange down past the retries left its entry unasked)', async () => {
    // Two such trades: one answered midway, the other never (its questions show each tick was handled).
    const [t, u] = [await openManual(1, 50), await openManual(1, 50)];
    // Feed time past every tick of the tests before (an older tick is superseded, never applied).
    await publishTick(t.createdAt + 400_000);
    await until(t.id, 'cancelled');
    await until(u.id, 'cancelled');
    const cancelledAt = (await trade(t.id)).closedAt!;
    const asked = async (id: string) => (await typesOf(id)).filter((type) => type === 'trade.entry_unconfirmed').length;
    const waiting = async () =>
      (
        await service.context.pool.query<{ w: boolean }>('SELECT entry_unconfirmed AS w FROM trade WHERE id = $1', [
          t.id,
        ])
      ).rows[0]!.w;
    expect(await waiting()).toBe(true);
    await publishTick(cancelledAt + 59_000); // within the close timeout of the cancel: nothing
    await publishTick(cancelledAt + 61_000); // past it, no answer yet: asked again
    await expect.poll(() => asked(t.id), { timeout: 15_000 }).toBe(1);
    await publishTick(cancelledAt + 62_000); // asked a second ago: not again
    await publishTick(cancelledAt + 122_000); // a timeout after the question: again
    await expect.poll(() => asked(t.id), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => asked(u.id), { timeout: 15_000 }).toBe(2);
    expect((await trade(t.id)).status).toBe('cancelled');
    // The executor's answer for the first: the exchange never received its entry. The cancellation
    // stands, and it is asked about no more; the other still is.
    await reject(t, 'open', 'order_not_found');
    await expect.poll(waiting, { timeout: 15_000 }).toBe(false);
    await publishTick(cancelledAt + 250_000);
    await expect.poll(() => asked(u.id), { timeout: 15_000 }).toBe(3);
    expect(await asked(t.id)).toBe(2);
    expect((await trade(t.id)).status).toBe('cancelled');
  });
});
