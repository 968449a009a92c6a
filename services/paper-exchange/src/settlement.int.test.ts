import type { ExchangeClient, Market } from '@recio/exchange-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addAccount, admin, clientFor, fee, FIRST_EVENT, makeKeys, START_MS, startTestExchange } from './testing.js';
import { startPaperExchange, type PaperExchange } from './index.js';

const keys = makeKeys();
let exchange: PaperExchange;
let client: ExchangeClient;

beforeEach(async () => {
  exchange = await startTestExchange({ seed: 'settle' });
  await addAccount(exchange, 'bob', keys, 50_000);
  client = clientFor(exchange, 'bob', keys);
});

afterEach(async () => {
  await exchange.close();
});

describe('stepped clock across an hour close', () => {
  it('moves only on /sim/advance, settles every position from the close price and pays 100¢ per winning contract', async () => {
    const { markets } = await client.getEvent(FIRST_EVENT);
    const byAsk = (target: number) =>
      [...markets].sort((a, b) => Math.abs(a.yes_ask - target) - Math.abs(b.yes_ask - target))[0] as Market;
    const a = byAsk(50); // near the money: YES
    const b = byAsk(30); // NO on a strike above the spot
    expect(a.ticker).not.toBe(b.ticker);

    // The stepped clock does not move by itself.
    const before = (await admin(exchange, 'GET', '/state')).json;
    expect(before.now).toBe('2025-07-16T20:30:00.000Z');
    await client.createOrder({
      ticker: a.ticker,
      side: 'yes',
      count: 10,
      limitCents: a.yes_ask,
      clientOrderId: 'a-yes',
    });
    await client.createOrder({ ticker: b.ticker, side: 'no', count: 5, limitCents: b.no_ask, clientOrderId: 'b-no' });
    const spent = 10 * a.yes_ask + fee(10, a.yes_ask) + 5 * b.no_ask + fee(5, b.no_ask);
    expect((await client.getBalance()).balance).toBe(50_000 - spent);

    // 29 min 59 s: still open.
    await admin(exchange, 'POST', '/advance', { seconds: 1799 });
    expect((await client.getEvent(FIRST_EVENT)).markets.every((m) => m.status === 'active')).toBe(true);
    expect(await client.listSettlementsAll()).toHaveLength(0);

    // The close second: 21:00:00 UTC = 17:00 EDT.
    const state = (await admin(exchange, 'POST', '/advance', { seconds: 1 })).json;
    expect(state.now).toBe('2025-07-16T21:00:00.000Z');
    expect(state.current_event.event_ticker).toBe('KXBTCD-25JUL1618');

    const closePrice = exchange.world.path.priceAt(Date.parse('2025-07-16T21:00:00Z') / 1000);
    const aYes = closePrice >= (a.floor_strike as number);
    const bYes = closePrice >= (b.floor_strike as number);
    const settled = await client.getEvent(FIRST_EVENT);
    for (const m of settled.markets) {
      expect(m.status).toBe('settled');
      expect(m.result).toBe(closePrice >= (m.floor_strike as number) ? 'yes' : 'no');
    }

    const settlements = await client.listSettlementsAll();
    expect(settlements).toHaveLength(2);
    const sa = settlements.find((s) => s.ticker === a.ticker);
    const sb = settlements.find((s) => s.ticker === b.ticker);
    expect(sa).toMatchObject({
      market_result: aYes ? 'yes' : 'no',
      yes_count: 10,
      no_count: 0,
      yes_total_cost: 10 * a.yes_ask,
      revenue: aYes ? 1000 : 0,
    });
    expect(sb).toMatchObject({
      market_result: bYes ? 'yes' : 'no',
      yes_count: 0,
      no_count: 5,
      no_total_cost: 5 * b.no_ask,
      revenue: bYes ? 0 : 500,
    });
    expect(sa?.settled_time).toBe('2025-07-16T21:00:00.000Z');

    const revenue = (aYes ? 1000 : 0) + (bYes ? 0 : 500);
    expect((await client.getBalance()).balance).toBe(50_000 - spent + revenue);
    const positions = await client.listPositionsAll();
    const pa = positions.find((p) => p.ticker === a.ticker);
    expect(pa).toMatchObject({
      position: 0,
      market_exposure: 0,
      realized_pnl: (aYes ? 1000 : 0) - 10 * a.yes_ask,
      fees_paid: fee(10, a.yes_ask),
    });

    // The ledger (what the e2e compares the platform's pnl with) says the same, unpaginated.
    const ledger = (await admin(exchange, 'GET', '/ledger?key_id=bob')).json;
    expect(ledger).toMatchObject({ starting_balance: 50_000, balance: 50_000 - spent + revenue });
    expect(ledger.orders).toHaveLength(2);
    expect(ledger.fills).toHaveLength(2);
    expect(ledger.settlements).toHaveLength(2);
    const state2 = (await admin(exchange, 'GET', '/state')).json;
    expect(state2.accounts).toEqual([
      { key_id: 'bob', balance: 50_000 - spent + revenue, orders: 2, fills: 2, settlements: 2, rejections: 0 },
    ]);
  });

  it('settles every hour crossed by one long advance, in order', async () => {
    const opened: string[] = [];
    const settled: string[] = [];
    exchange.world.on((e) => {
      if (e.type === 'event_opened') opened.push(e.event.eventTicker);
      if (e.type === 'event_settled') settled.push(e.event.eventTicker);
    });
    await admin(exchange, 'POST', '/advance', { seconds: 3 * 3600 });
    expect(settled).toEqual(['KXBTCD-25JUL1617', 'KXBTCD-25JUL1618', 'KXBTCD-25JUL1619']);
    expect(opened).toEqual(['KXBTCD-25JUL1618', 'KXBTCD-25JUL1619', 'KXBTCD-25JUL1620']);
    // Each new event's strikes sit around the price at its open.
    const event = exchange.world.book.event('KXBTCD-25JUL1620');
    const openPrice = exchange.world.path.priceAt(Date.parse('2025-07-16T23:00:00Z') / 1000);
    expect(event?.openSpot).toBe(openPrice);
    expect(Math.abs((event?.markets[20]?.strike ?? 0) - openPrice)).toBeLessThanOrEqual(125.01);
  });

  it('refuses /sim/advance on a realtime clock and /sim without the token', async () => {
    const realtime = await startPaperExchange({
      port: 0,
      clock: 'realtime',
      startMs: START_MS,
      speed: 1000,
      adminToken: 'test-admin-token',
    });
    try {
      const reply = await admin(realtime, 'POST', '/advance', { seconds: 10 });
      expect(reply).toMatchObject({ status: 409, json: { error: { code: 'clock_not_stepped' } } });
      // Realtime simulated time runs (×1000 here): it passes the start by a simulated second.
      await expect
        .poll(async () => (await admin(realtime, 'GET', '/state')).json.now_ms, { timeout: 10_000 })
        .toBeGreaterThan(START_MS + 1000);
    } finally {
      await realtime.close();
    }
    expect((await fetch(`${exchange.origin}/sim/state`)).status).toBe(401);
    const noAdmin = await startPaperExchange({ port: 0, clock: 'stepped', startMs: START_MS });
    try {
      expect((await fetch(`${noAdmin.origin}/sim/state`)).status).toBe(404);
    } finally {
      await noAdmin.close();
    }
  });
});
