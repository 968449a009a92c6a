import { randomUUID } from 'node:crypto';
import { encodeOrder } from '@recio/exchange-client';
import { startService, type RunningService } from '@recio/service-kit';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, createTestDatabase, uniqueName, type TestDatabase } from '@recio/test-support';
import { startPaperExchange, type PaperExchange } from '@recio/paper-exchange';
import {
  ADMIN_TOKEN,
  admin,
  advancePastClose,
  clientOf,
  ledgerOf,
  TestCredentials,
  twoMarkets,
  type TestUser,
} from '../test/paper-accounts.js';
import { startAccountSync } from './account-sync.js';
import { loadConfig, type AccountSyncConfig } from './config.js';

const STARTING_BALANCE = 100_000;
const POLL = { timeout: 30_000, interval: 100 };

describe('kalshi-account-sync against the paper exchange', () => {
  let db: TestDatabase;
  let exchange: PaperExchange;
  let creds: TestCredentials;
  let service: RunningService<AccountSyncConfig> | undefined;
  let alice: TestUser;
  let bob: TestUser;
  // The test's own connection, to read the mirror and the event log.
  let pool: pg.Pool;

  const start = (pod = 'kalshi-account-sync-0', env: NodeJS.ProcessEnv = {}) =>
    startService({
      config: {
        ...loadConfig({
          DATABASE_URL: db.url,
          REDIS_URL,
          POD_NAME: pod,
          EXCHANGE_BASE_URL: exchange.url,
          EXCHANGE_WS_URL: exchange.wsUrl,
          EXCHANGE_CREDENTIALS_FILE: creds.file,
          ...env,
        }),
        port: 0,
      },
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      start: (ctx) => startAccountSync(ctx, { retryBaseMs: 50 }),
    });
  const ready = (s: RunningService) => expect.poll(async () => (await fetch(`${s.url}/readyz`)).status, POLL).toBe(200);

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    creds = new TestCredentials([uniqueName('alice_'), uniqueName('bob_')]);
    [alice, bob] = creds.users as [TestUser, TestUser];
    // 30 simulated minutes before the 17:00 ET close of KXBTCD-25JUL1617.
    exchange = await startPaperExchange({
      port: 0,
      seed: 'account-sync',
      clock: 'stepped',
      startMs: Date.parse('2025-07-16T20:30:00Z'),
      accounts: creds.accounts(STARTING_BALANCE),
      adminToken: ADMIN_TOKEN,
    });
    service = await start();
  });
  afterAll(async () => {
    await service?.close();
    await exchange?.close();
    await pool?.end();
    await db?.drop();
    creds?.remove();
  });

  const query = async <T = any>(sql: string, values: unknown[]): Promise<T[]> =>
    (await pool.query(sql, values)).rows as T[];

  const iso = (t: Date | string) => new Date(t).toISOString();
  const cents = (dollars: string | undefined) => (dollars === undefined ? null : Math.round(Number(dollars) * 100));
  const byKey =
    <T>(key: (t: T) => string) =>
    (a: T, b: T) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

  /** The mirror tables of `user`, in the exchange's own shape. */
  async function mirror(user: TestUser) {
    const id = [user.userId];
    const [balance] = await query<{ balance_cents: string }>(
      'SELECT balance_cents FROM account_balance WHERE user_id = $1',
      id,
    );
    const fills = await query('SELECT * FROM account_fill WHERE user_id = $1', id);
    const orders = await query('SELECT * FROM account_order WHERE user_id = $1', id);
    const settlements = await query('SELECT * FROM account_settlement WHERE user_id = $1', id);
    const positions = await query('SELECT * FROM account_position WHERE user_id = $1', id);
    return {
      balance: balance ? Number(balance.balance_cents) : null,
      fills: fills
        .map((f) => ({
          id: f.fill_id,
          order: f.order_id,
          ticker: f.ticker,
          side: f.side,
          action: f.action,
          count: f.count,
          yes: f.yes_price,
          no: f.no_price,
          taker: f.is_taker,
          fee: f.fee_cents,
          at: iso(f.created_time),
        }))
        .sort(byKey((f) => f.id)),
      orders: orders
        .map((o) => ({
          id: o.order_id,
          client: o.client_order_id,
          ticker: o.ticker,
          side: o.side,
          status: o.status,
          yes: o.yes_price,
          no: o.no_price,
          filled: o.fill_count,
          fees: o.fees_cents,
          at: iso(o.created_time),
        }))
        .sort(byKey((o) => o.id)),
      settlements: settlements
        .map((s) => ({
          ticker: s.ticker,
          result: s.market_result,
          yes: s.yes_count,
          no: s.no_count,
          revenue: Number(s.revenue_cents),
          at: iso(s.settled_time),
        }))
        .sort(byKey((s) => s.ticker)),
      positions: positions
        .map((p) => ({
          ticker: p.ticker,
          position: p.position,
          exposure: Number(p.market_exposure_cents),
          pnl: Number(p.realized_pnl_cents),
          fees: Number(p.fees_paid_cents),
        }))
        .sort(byKey((p) => p.ticker)),
    };
  }

  /** The paper exchange's ledger of `user`, in the same shape. */
  async function ledger(user: TestUser) {
    const l = await ledgerOf(exchange, user);
    return {
      balance: l.balance,
      fills: l.fills
        .map((f) => ({
          id: f.fill_id ?? f.trade_id,
          order: f.order_id,
          ticker: f.ticker,
          side: f.side,
          action: f.action,
          count: f.count,
          yes: f.yes_price,
          no: f.no_price,
          taker: f.is_taker,
          fee: cents(f.fee_cost),
          at: iso(f.created_time),
        }))
        .sort(byKey((f) => f.id)),
      orders: l.orders
        .map((o) => ({
          id: o.order_id,
          client: o.client_order_id,
          ticker: o.ticker,
          side: o.side,
          status: o.status,
          yes: o.yes_price,
          no: o.no_price,
          filled: o.fill_count,
          fees: (o.taker_fees ?? 0) + (o.maker_fees ?? 0),
          at: iso(o.created_time),
        }))
        .sort(byKey((o) => o.id)),
      settlements: l.settlements
        .map((s) => ({
          ticker: s.ticker,
          result: s.market_result,
          yes: s.yes_count,
          no: s.no_count,
          revenue: s.revenue,
          at: iso(s.settled_time),
        }))
        .sort(byKey((s) => s.ticker)),
      positions: l.positions
        .map((p) => ({
          ticker: p.ticker,
          position: p.position,
          exposure: p.market_exposure,
          pnl: p.realized_pnl,
          fees: p.fees_paid,
        }))
        .sort(byKey((p) => p.ticker)),
    };
  }

  const converged = async (user: TestUser) => {
    const expected = await ledger(user);
    await expect.poll(() => mirror(user), POLL).toEqual(expected);
  };

  /** The user's events, in sequence order per channel. */
  async function events(user: TestUser) {
    const rows = await query<{ channel: string; type: string; data: any }>(
      'SELECT channel, type, data FROM event_log WHERE channel IN ($1, $2) ORDER BY channel, seq',
      [`account:${user.userId}`, `positions:${user.userId}`],
    );
    return {
      all: rows.length,
      fillIds: rows
        .filter((r) => r.type === 'fill.recorded')
        .map((r) => r.data.fill.fillId as string)
        .sort(),
      settled: rows
        .filter((r) => r.type === 'settlement.recorded')
        .map((r) => r.data.settlement.ticker as string)
        .sort(),
      balances: rows.filter((r) => r.type === 'balance.updated').map((r) => r.data.balanceCents as number),
      positions: rows.filter((r) => r.type === 'position.updated').map((r) => r.data.position),
    };
  }

  /** Every fill and settlement announced exactly once; balance and position events only on a change, the last one current. */
  async function expectEventsMatchLedger(user: TestUser) {
    const l = await ledger(user);
    const m = await mirror(user);
    const e = await events(user);
    expect(e.fillIds).toEqual(l.fills.map((f) => f.id).sort());
    expect(e.settled).toEqual(l.settlements.map((s) => s.ticker).sort());
    expect(e.balances.at(-1)).toBe(l.balance);
    e.balances.slice(1).forEach((b, i) => expect(b).not.toBe(e.balances[i]));
    for (const p of m.positions) {
      const own = e.positions.filter((x) => x.ticker === p.ticker);
      expect(own.at(-1)).toEqual({
        ticker: p.ticker,
        position: p.position,
        marketExposureCents: p.exposure,
        realizedPnlCents: p.pnl,
        feesPaidCents: p.fees,
      });
      own.slice(1).forEach((x, i) => expect(x).not.toEqual(own[i]));
    }
    return e;
  }

  async function syncs(s: RunningService, kind: 'full' | 'sweep'): Promise<number> {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find(
        (l) => l.startsWith('recio_account_syncs_total{') && l.includes(`kind="${kind}"`) && l.includes('outcome="ok"'),
      );
    return line ? Number(line.split(' ').at(-1)) : 0;
  }
  const fullSyncs = (s: RunningService) => syncs(s, 'full');

  const buy = (user: TestUser, ticker: string, side: 'yes' | 'no', count: number, limitCents: number) =>
    clientOf(exchange, user).createOrder({ ticker, side, count, limitCents, clientOrderId: randomUUID() });

  it('mirrors the fills, orders, positions and balance of two users from the WebSocket, each fill announced once', async () => {
    await ready(service!);
    expect(await mirror(alice)).toMatchObject({ balance: STARTING_BALANCE, fills: [], positions: [] });
    const [m1, m2] = await twoMarkets(exchange);
    await buy(alice, m1.ticker, 'yes', 3, m1.yesAsk);
    await buy(alice, m2.ticker, 'no', 2, m2.noAsk);
    await buy(bob, m1.ticker, 'yes', 5, m1.yesAsk);
    // NO against a YES position nets: bob holds 5 − 1 = 4 YES.
    await buy(bob, m1.ticker, 'no', 1, m1.noAsk);
    await converged(alice);
    await converged(bob);
    expect((await mirror(bob)).positions).toMatchObject([{ ticker: m1.ticker, position: 4 }]);
    expect((await mirror(alice)).balance).toBeLessThan(STARTING_BALANCE);
    const e = await expectEventsMatchLedger(alice);
    expect(e.fillIds).toHaveLength(2);
    await expectEventsMatchLedger(bob);
  });

  it('mirrors an exchange that lists every order, fill and position twice, each fill announced once', async () => {
    // An item that moves between two pages while the mirror pages through them is listed twice;
    // the fault lists every item twice, for every sync this test causes.
    for (const path of ['/portfolio/orders', '/portfolio/fills', '/portfolio/positions']) {
      await admin(exchange, 'POST', '/faults', { duplicate: true, path, count: 1_000 });
    }
    try {
      const [m1] = await twoMarkets(exchange);
      await buy(alice, m1.ticker, 'yes', 2, m1.yesAsk);
      await buy(alice, m1.ticker, 'no', 1, m1.noAsk);
      await converged(alice);
      await expectEventsMatchLedger(alice);
      await expectEventsMatchLedger(bob);
    } finally {
      await admin(exchange, 'DELETE', '/faults');
    }
  });

  it('records the settlements after the hour closes, once each', async () => {
    await advancePastClose(exchange);
    await converged(alice);
    await converged(bob);
    const m = await mirror(alice);
    expect(m.settlements).toHaveLength(2);
    expect(m.positions.every((p) => p.position === 0 && p.exposure === 0)).toBe(true);
    await expectEventsMatchLedger(alice);
    await expectEventsMatchLedger(bob);
  });

  it('catches up after a restart on what happened while it was down; a resync or a sweep that finds nothing new publishes nothing', async () => {
    await service!.close();
    const [m] = await twoMarkets(exchange);
    await buy(alice, m.ticker, 'yes', 2, m.yesAsk);
    service = await start();
    await ready(service);
    await converged(alice);
    const before = await expectEventsMatchLedger(alice);
    const bobBefore = (await events(bob)).all;

    // Restarted with a safety net of 1 s: its full resyncs and then its sweeps find nothing new.
    await service.close();
    service = await start('kalshi-account-sync-0', { RESYNC_INTERVAL_MS: '1000' });
    await ready(service);
    await expect.poll(() => syncs(service!, 'sweep'), POLL).toBeGreaterThanOrEqual(4);
    expect((await events(alice)).all).toBe(before.all);
    expect((await events(bob)).all).toBe(bobBefore);
    // The next test must see only the WebSocket and its resyncs at work: back to the default safety net.
    await service.close();
    service = await start();
    await ready(service);
  });

  it('resyncs after a WebSocket drop: a fill whose message was lost is mirrored and announced once', async () => {
    const s = service!;
    const syncs = await fullSyncs(s);
    const [m] = await twoMarkets(exchange);
    // In the same tick as the drop: no connection exists to hear about this fill, only the resync can find it.
    expect(exchange.dropConnections()).toBe(2);
    const placed = exchange.world.placeOrder(
      bob.keyId,
      encodeOrder({ ticker: m.ticker, side: 'no', count: 3, limitCents: m.noAsk, clientOrderId: randomUUID() }),
    );
    expect(placed.status).toBe(201);
    await converged(bob);
    await expect.poll(() => fullSyncs(s), POLL).toBeGreaterThanOrEqual(syncs + 2);
    const bobEvents = await expectEventsMatchLedger(bob);
    const aliceEvents = await expectEventsMatchLedger(alice);

    // Nothing changed on the exchange: the next reconnect's resyncs publish nothing.
    const again = await fullSyncs(s);
    expect(exchange.dropConnections()).toBe(2);
    await expect.poll(() => fullSyncs(s), POLL).toBeGreaterThanOrEqual(again + 2);
    expect((await events(bob)).all).toBe(bobEvents.all);
    expect((await events(alice)).all).toBe(aliceEvents.all);
  });

  it('announces each fill once when two instances resync the same accounts at the same time', async () => {
    await service!.close();
    service = undefined;
    const [m1, m2] = await twoMarkets(exchange);
    await buy(alice, m1.ticker, 'yes', 4, m1.yesAsk);
    await buy(bob, m2.ticker, 'no', 6, m2.noAsk);
    const [a, b] = await Promise.all([start('kalshi-account-sync-0'), start('kalshi-account-sync-1')]);
    service = a;
    try {
      await ready(a);
      await ready(b);
      await converged(alice);
      await converged(bob);
      await expectEventsMatchLedger(alice);
      await expectEventsMatchLedger(bob);
    } finally {
      await b.close();
    }
  });
});
