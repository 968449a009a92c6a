import { eventTicker, hourCloseAfter, marketTicker } from '@recio/domain';
import type { PlatformEvents, TradeSnapshot } from '@recio/platform';
import { EventRouter } from '@recio/router';
import { tradeSnapshotOfRow, type PlatformRouter, type PlatformTransaction } from '@recio/service-kit';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount, admin, makeKeys, startTestExchange, START_MS } from '@recio/paper-exchange/testing';
import type { PaperExchange } from '@recio/paper-exchange';
import { REDIS_URL, createTestDatabase, uniqueName, type TestDatabase } from '@recio/test-support';
import { Executor, closeOrderId } from './executor.js';
import { ClientExchange } from './order-placer.js';

// The executor's promise: one order per intent however often its handler runs. A handler that
// placed the order and died before its commit is simulated by a transaction that places the order
// and then throws (rolls back); the handler then runs again, as the consumer group redelivers it.
describe('trade-executor against the paper exchange', () => {
  let db: TestDatabase;
  let exchange: PaperExchange;
  let router: PlatformRouter;
  let executor: Executor;
  const user = uniqueName('user_');
  const keyId = `paper-${user}`;
  const closeAt = hourCloseAfter(START_MS);
  const ticker = marketTicker(eventTicker(closeAt), 99_999.99);

  beforeAll(async () => {
    db = await createTestDatabase();
    exchange = await startTestExchange({ startPrice: 100_000 });
    const keys = makeKeys();
    await addAccount(exchange, keyId, keys, 100_000);
    router = new EventRouter<PlatformEvents>({
      database: db.url,
      redis: { url: REDIS_URL },
      source: 'trade-executor',
      logger: pino({ level: 'silent' }),
    });
    await router.waitUntilReady({ redisTimeoutMs: 15_000 });
    const credentials = new Map([[user, { userId: user, keyId, privateKeyPem: keys.privateKey }]]);
    executor = new Executor(
      new ClientExchange(exchange.url, credentials, 5_000),
      pino({ level: 'silent' }),
      new Registry(),
    );
  });
  afterAll(async () => {
    await router?.close();
    await exchange?.close();
    await db?.drop();
  });

  const ledger = async () =>
    (await admin(exchange, 'GET', `/ledger?key_id=${keyId}`)).json as {
      orders: { order_id: string; client_order_id: string; side: string }[];
    };
  const reports = async (tradeId: string) =>
    (
      await router.pool.query<{ type: string; data: { orderId?: string; leg: string; code?: string } }>(
        `SELECT type, data FROM event_log WHERE channel = $1 AND data::jsonb ->> 'tradeId' = $2 ORDER BY seq`,
        [`trades:${user}`, tradeId],
      )
    ).rows;

  async function insertTrade(status: 'pending' | 'closing', limit: number, closeAttempts = 0): Promise<TradeSnapshot> {
    const id = randomUUID();
    await router.pool.query(
      `INSERT INTO trade (id, user_id, symbol, event_ticker, market_ticker, strike, side, count, status, entry_method, limit_price_cents, buy_price_cents, close_attempts, market_close_at, created_at)
       VALUES ($1, $2, 'btc', $3, $4, 99999.99, 'yes', 2, $5, 'manual', $6, $7, $8, $9, $10)`,
      [
        id,
        user,
        eventTicker(closeAt),
        ticker,
        status,
        limit,
        status === 'closing' ? limit : null,
        closeAttempts,
        new Date(closeAt),
        new Date(START_MS),
      ],
    );
    const { rows } = await router.pool.query('SELECT * FROM trade WHERE id = $1', [id]);
    return tradeSnapshotOfRow(rows[0]);
  }

  async function runTwiceFirstLost(work: (tx: PlatformTransaction) => Promise<void>): Promise<void> {
    await expect(
      router.transaction(async (tx) => {
        await work(tx);
        throw new Error('crashed before commit');
      }),
    ).rejects.toThrow('crashed before commit');
    await router.transaction(work);
  }

  it('places an entry once when its handler runs twice, and reports the same order', async () => {
    const trade = await insertTrade('pending', 99);
    const signal = new AbortController().signal;
    await runTwiceFirstLost((tx) => executor.enter(tx, trade, signal));
    const orders = (await ledger()).orders.filter((o) => o.client_order_id === trade.id);
    expect(orders).toHaveLength(1);
    const r = await reports(trade.id);
    expect(r.map((x) => x.type)).toEqual(['order.filled']);
    expect(r[0]!.data.orderId).toBe(orders[0]!.order_id);
  });

  it('places the n-th close once, buying the other side at its ask, and a new attempt is a new order', async () => {
    const trade = await insertTrade('closing', 60, 1);
    const signal = new AbortController().signal;
    await runTwiceFirstLost((tx) => executor.close(tx, trade, signal));
    let closes = (await ledger()).orders.filter((o) => o.client_order_id !== trade.id && o.side === 'no');
    expect(closes).toHaveLength(1);
    // attempt 2 (after a refused attempt 1) is another intent: another client_order_id
    await router.pool.query('UPDATE trade SET close_attempts = 2 WHERE id = $1', [trade.id]);
    await router.transaction((tx) => executor.close(tx, { ...trade, closeAttempts: 2 }, signal));
    closes = (await ledger()).orders.filter((o) => o.client_order_id !== trade.id && o.side === 'no');
    expect(new Set(closes.map((o) => o.client_order_id)).size).toBe(2);
    expect((await reports(trade.id)).map((x) => x.data.leg)).toEqual(['close', 'close']);
  });

  it('places nothing for an intent the trade manager has moved past', async () => {
    const trade = await insertTrade('pending', 99);
    await router.pool.query(`UPDATE trade SET status = 'cancelled' WHERE id = $1`, [trade.id]);
    await router.transaction((tx) => executor.enter(tx, trade, new AbortController().signal));
    expect((await ledger()).orders.filter((o) => o.client_order_id === trade.id)).toHaveLength(0);
    expect(await reports(trade.id)).toEqual([]);
  });

  it('places the order the trade row describes, whatever the event carries (the event only names the trade)', async () => {
    const trade = await insertTrade('pending', 99);
    // An event that lies about the order: another side, a huge count, another market, a higher limit.
    const forged = { ...trade, side: 'no' as const, count: 500, marketTicker: 'KXBTCD-OTHER', limitPriceCents: 99 };
    await router.transaction((tx) => executor.enter(tx, forged, new AbortController().signal));
    const orders = (await ledger()).orders.filter((o) => o.client_order_id === trade.id) as unknown as {
      side: string;
      ticker: string;
      fill_count: number;
    }[];
    expect(orders).toEqual([expect.objectContaining({ side: 'yes', ticker, fill_count: 2 })]);
    expect((await reports(trade.id)).map((r) => r.type)).toEqual(['order.filled']);
  });

  it('retries an order whose outcome the exchange does not know, never reporting it rejected (regression: a lost duplicate became a rejection)', async () => {
    const trade = await insertTrade('pending', 99);
    const signal = new AbortController().signal;
    // The exchange answers 409 duplicate for the first request but lists no order of that id.
    await admin(exchange, 'POST', '/faults', {
      status: 409,
      code: 'order_already_exists',
      count: 1,
      method: 'POST',
      path: '/portfolio/orders',
    });
    await expect(router.transaction((tx) => executor.enter(tx, trade, signal))).rejects.toMatchObject({
      code: 'ORDER_OUTCOME_UNKNOWN',
    });
    expect(await reports(trade.id)).toEqual([]);
    // The handler runs again (the group redelivers): one order, filled, reported once.
    await router.transaction((tx) => executor.enter(tx, trade, signal));
    expect((await ledger()).orders.filter((o) => o.client_order_id === trade.id)).toHaveLength(1);
    expect((await reports(trade.id)).map((r) => r.type)).toEqual(['order.filled']);
  });

  // Every reply of the order endpoint lost after the exchange acted: the client's retries (4) all fail.
  const loseOrderReplies = () =>
    admin(exchange, 'POST', '/faults', {
      status: 503,
      after: true,
      count: 5,
      method: 'POST',
      path: '/portfolio/orders',
    });

  it('reports the fill of a cancelled entry whose replies were lost (regression: it became an untracked position)', async () => {
    const trade = await insertTrade('pending', 99);
    const signal = new AbortController().signal;
    await loseOrderReplies();
    await expect(router.transaction((tx) => executor.enter(tx, trade, signal))).rejects.toThrow();
    await admin(exchange, 'DELETE', '/faults');
    // The trade manager's timeout cancels the trade (its entry unconfirmed); the redelivered entry
    // then places nothing more.
    await router.pool.query(`UPDATE trade SET status = 'cancelled', entry_unconfirmed = true WHERE id = $1`, [
      trade.id,
    ]);
    await router.transaction((tx) => executor.enter(tx, trade, signal));
    expect(await reports(trade.id)).toEqual([]);
    // trade.cancelled: the executor asks the exchange, which filled the order: reported, once placed.
    const cancelled = { ...trade, status: 'cancelled' as const };
    await router.transaction((tx) => executor.confirmCancelledEntry(tx, cancelled, signal));
    const orders = (await ledger()).orders.filter((o) => o.client_order_id === trade.id);
    expect(orders).toHaveLength(1);
    const r = await reports(trade.id);
    expect(r.map((x) => [x.type, x.data.leg, x.data.orderId])).toEqual([['order.filled', 'open', orders[0]!.order_id]]);

    // A cancelled entry the exchange never received: reported as such (the trade manager asks no
    // more), nothing placed.
    const never = await insertTrade('pending', 99);
    await router.pool.query(`UPDATE trade SET status = 'cancelled', entry_unconfirmed = true WHERE id = $1`, [
      never.id,
    ]);
    // While the exchange does not answer, nothing is reported: the question stays open, asked again.
    await admin(exchange, 'POST', '/faults', { status: 503, count: 20, method: 'GET', path: '/portfolio/orders' });
    await expect(
      router.transaction((tx) => executor.confirmCancelledEntry(tx, { ...never, status: 'cancelled' }, signal)),
    ).rejects.toThrow();
    expect(await reports(never.id)).toEqual([]);
    await admin(exchange, 'DELETE', '/faults');
    await router.transaction((tx) => executor.confirmCancelledEntry(tx, { ...never, status: 'cancelled' }, signal));
    expect(await reports(never.id)).toMatchObject([
      { type: 'order.rejected', data: { leg: 'open', code: 'order_not_found' } },
    ]);
    expect((await ledger()).orders.filter((o) => o.client_order_id === never.id)).toHaveLength(0);

    // A trade cancelled because the exchange refused its entry (looked up then): nothing asked, nothing reported.
    const refused = await insertTrade('pending', 99);
    await router.pool.query(`UPDATE trade SET status = 'cancelled' WHERE id = $1`, [refused.id]);
    await admin(exchange, 'POST', '/faults', { status: 503, count: 20, method: 'GET', path: '/portfolio/orders' });
    await router.transaction((tx) => executor.confirmCancelledEntry(tx, { ...refused, status: 'cancelled' }, signal));
    await admin(exchange, 'DELETE', '/faults');
    expect(await reports(refused.id)).toEqual([]);
  });

  it('confirms a close stuck closing with the exchange: a lost fill is reported, a close never received is refused', async () => {
    const signal = new AbortController().signal;
    const lost = await insertTrade('closing', 60, 1);
    await loseOrderReplies();
    await expect(router.transaction((tx) => executor.close(tx, lost, signal))).rejects.toThrow();
    await admin(exchange, 'DELETE', '/faults');
    await router.transaction((tx) => executor.confirmClose(tx, lost, signal));
    const [order] = (await ledger()).orders.filter((o) => o.client_order_id === closeOrderId(lost.id, 1));
    expect(order).toBeDefined();
    expect((await reports(lost.id)).map((x) => [x.type, x.data.leg, x.data.orderId])).toEqual([
      ['order.filled', 'close', order!.order_id],
    ]);

    // Never received (the handler gave up before the exchange saw it): refused, so the trade opens again.
    const never = await insertTrade('closing', 60, 1);
    await router.transaction((tx) => executor.confirmClose(tx, never, signal));
    expect(await reports(never.id)).toMatchObject([
      { type: 'order.rejected', data: { leg: 'close', code: 'order_not_found' } },
    ]);
    expect((await ledger()).orders.filter((o) => o.client_order_id === closeOrderId(never.id, 1))).toHaveLength(0);
    // A confirmation about an attempt the trade has moved past asks nothing and reports nothing.
    await router.pool.query('UPDATE trade SET close_attempts = 2 WHERE id = $1', [never.id]);
    await router.transaction((tx) => executor.confirmClose(tx, never, signal));
    expect(await reports(never.id)).toHaveLength(1);
  });

  it('reports a fill, not a refusal, when a retry is refused after an earlier try filled (regression: the trade ended in error, or open, beside a position)', async () => {
    const signal = new AbortController().signal;
    // The first try fills and its reply is lost; the client's retry is refused on its own.
    const marketClosed = () =>
      admin(exchange, 'POST', '/faults', {
        status: 400,
        code: 'market_closed',
        count: 1,
        method: 'POST',
        path: '/portfolio/orders',
      });
    const refuseRetry = async () => {
      await admin(exchange, 'POST', '/faults', {
        status: 503,
        after: true,
        count: 1,
        method: 'POST',
        path: '/portfolio/orders',
      });
      await marketClosed();
    };
    const entry = await insertTrade('pending', 99);
    await refuseRetry();
    await router.transaction((tx) => executor.enter(tx, entry, signal));
    const [bought] = (await ledger()).orders.filter((o) => o.client_order_id === entry.id);
    expect(bought).toBeDefined();
    expect((await reports(entry.id)).map((x) => [x.type, x.data.leg, x.data.orderId])).toEqual([
      ['order.filled', 'open', bought!.order_id],
    ]);

    const closing = await insertTrade('closing', 60, 1);
    await refuseRetry();
    await router.transaction((tx) => executor.close(tx, closing, signal));
    const [sold] = (await ledger()).orders.filter((o) => o.client_order_id === closeOrderId(closing.id, 1));
    expect(sold).toBeDefined();
    expect((await reports(closing.id)).map((x) => [x.type, x.data.leg, x.data.orderId])).toEqual([
      ['order.filled', 'close', sold!.order_id],
    ]);

    // A refusal with no order behind it is reported as one.
    const refused = await insertTrade('pending', 99);
    await marketClosed();
    await router.transaction((tx) => executor.enter(tx, refused, signal));
    expect(await reports(refused.id)).toMatchObject([
      { type: 'order.rejected', data: { leg: 'open', code: 'market_closed' } },
    ]);
    await admin(exchange, 'DELETE', '/faults');
  });
});
