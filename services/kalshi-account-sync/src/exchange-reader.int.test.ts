import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPaperExchange, type PaperExchange } from '@recio/paper-exchange';
import { admin, ADMIN_TOKEN, clientOf, TestCredentials, twoMarkets, type TestUser } from '../test/paper-accounts.js';
import { readSnapshot } from './exchange-reader.js';
import { fullScope, sweepScope, tickerScope } from './sync-scope.js';

const START = Date.parse('2025-07-16T20:30:00Z');
const MINUTE = 60_000;

describe('readSnapshot against the paper exchange', () => {
  let exchange: PaperExchange;
  let creds: TestCredentials;
  let user: TestUser;
  let first: string;
  let second: string;
  const options = (overlapMs: number) => ({
    overlapMs,
    signal: new AbortController().signal,
    logger: pino({ level: 'silent' }),
  });

  beforeAll(async () => {
    creds = new TestCredentials(['reader_user']);
    user = creds.users[0]!;
    exchange = await startPaperExchange({
      port: 0,
      seed: 'reader',
      clock: 'stepped',
      startMs: START,
      accounts: creds.accounts(50_000),
      adminToken: ADMIN_TOKEN,
    });
    // Fills at 20:30:00 (market A) and 20:40:00 (market B).
    const [a] = await twoMarkets(exchange);
    await clientOf(exchange, user).createOrder({
      ticker: a.ticker,
      side: 'yes',
      count: 2,
      limitCents: a.yesAsk,
      clientOrderId: randomUUID(),
    });
    await admin(exchange, 'POST', '/advance', { seconds: 600 });
    // quotes moved: ask again, and take the other market
    const b = (await twoMarkets(exchange)).find((m) => m.ticker !== a.ticker)!;
    await clientOf(exchange, user).createOrder({
      ticker: b.ticker,
      side: 'no',
      count: 1,
      limitCents: b.noAsk,
      clientOrderId: randomUUID(),
    });
    [first, second] = [a.ticker, b.ticker];
  });
  afterAll(async () => {
    await exchange?.close();
    creds?.remove();
  });

  it('reads everything, oldest first, on a full resync', async () => {
    const s = await readSnapshot(clientOf(exchange, user), fullScope('test'), null, options(5 * MINUTE));
    expect(s.fills.map((f) => f.createdAt)).toEqual([START, START + 10 * MINUTE]);
    expect(s.orders).toHaveLength(2);
    expect(s.positions).toHaveLength(2);
    expect(s.balanceCents).toBeLessThan(50_000);
  });

  it('reads fills from the newest stored minus the overlap: 20:40 − 5 min leaves out 20:30, 20:40 − 15 min keeps it', async () => {
    const cursors = { newestFillAt: START + 10 * MINUTE, newestSettlementAt: null, restingOrderTickers: [] };
    const recent = await readSnapshot(clientOf(exchange, user), sweepScope('test'), cursors, options(5 * MINUTE));
    expect(recent.fills.map((f) => f.createdAt)).toEqual([START + 10 * MINUTE]);
    // the sweep reads every position, and the orders of the markets with new fills only
    expect(recent.positions).toHaveLength(2);
    expect(recent.fills[0]!.ticker).toBe(second);
    expect(recent.orders.map((o) => o.ticker)).toEqual([second]);
    const wider = await readSnapshot(clientOf(exchange, user), sweepScope('test'), cursors, options(15 * MINUTE));
    expect(wider.fills).toHaveLength(2);
  });

  it('reads every position but one market’s orders for a position message', async () => {
    const cursors = { newestFillAt: START + 10 * MINUTE, newestSettlementAt: null, restingOrderTickers: [] };
    const s = await readSnapshot(clientOf(exchange, user), tickerScope(first, 'test'), cursors, options(0));
    // every position: a settlement or fill read here may be of another market (one request)
    expect(s.positions.map((p) => p.ticker).sort()).toEqual([first, second].sort());
    // the market named, and the market of the fill at the cursor
    expect(s.orders.map((o) => o.ticker).sort()).toEqual([first, second].sort());
  });
});
