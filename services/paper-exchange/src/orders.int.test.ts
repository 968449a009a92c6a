import { ExchangeAuthError, ExchangeRejectedError, signRequest, type ExchangeClient } from '@recio/exchange-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addAccount,
  admin,
  atTheMoney,
  clientFor,
  fee,
  FIRST_EVENT,
  makeKeys,
  signedFetch,
  startTestExchange,
  type KeyPair,
} from './testing.js';
import type { PaperExchange } from './index.js';

const keys = makeKeys();
let exchange: PaperExchange;
let client: ExchangeClient;

beforeEach(async () => {
  exchange = await startTestExchange();
  await addAccount(exchange, 'alice', keys, 100_000); // $1,000.00
  client = clientFor(exchange, 'alice', keys);
});

afterEach(async () => {
  await exchange.close();
});

async function ledger(keyId = 'alice') {
  return (await admin(exchange, 'GET', `/ledger?key_id=${keyId}`)).json;
}

describe('authentication', () => {
  it('serves a signed request and refuses a tampered signature, a stale timestamp and an unknown key with 401', async () => {
    expect((await client.getBalance()).balance).toBe(100_000);
    const ok = await signedFetch(exchange, 'alice', keys, 'GET', '/portfolio/balance');
    expect(ok.status).toBe(200);

    const url = `${exchange.url}/portfolio/balance`;
    const good = signRequest({
      keyId: 'alice',
      privateKey: keys.privateKey,
      method: 'GET',
      path: '/trade-api/v2/portfolio/balance',
      timestampMs: Date.now(),
    });
    const sig = Buffer.from(good['KALSHI-ACCESS-SIGNATURE'], 'base64');
    sig[0] = (sig[0] as number) ^ 1;
    const tampered = await fetch(url, { headers: { ...good, 'KALSHI-ACCESS-SIGNATURE': sig.toString('base64') } });
    expect(tampered.status).toBe(401);
    expect(((await tampered.json()) as any).error.code).toBe('invalid_signature');

    // A signature over another path (the query is not part of it, the path is).
    const otherPath = await fetch(`${exchange.url}/portfolio/fills`, { headers: good });
    expect(((await otherPath.json()) as any).error.code).toBe('invalid_signature');

    const stale = signRequest({
      keyId: 'alice',
      privateKey: keys.privateKey,
      method: 'GET',
      path: '/trade-api/v2/portfolio/balance',
      timestampMs: Date.now() - 120_000,
    });
    const staleReply = await fetch(url, { headers: stale });
    expect(staleReply.status).toBe(401);
    expect(((await staleReply.json()) as any).error.code).toBe('stale_timestamp');

    const none = await fetch(url);
    expect(((await none.json()) as any).error.code).toBe('missing_credentials');

    const stranger = clientFor(exchange, 'mallory', makeKeys());
    await expect(stranger.getBalance()).rejects.toMatchObject({
      code: 'EXCHANGE_AUTH',
      exchangeCode: 'unknown_key',
      status: 401,
    });
    // Right key id, wrong private key.
    const impostor = clientFor(exchange, 'alice', makeKeys(), { maxRetries: 3 });
    await expect(impostor.getBalance()).rejects.toBeInstanceOf(ExchangeAuthError);
  });

  it('needs no signature for public market data', async () => {
    expect(await fetch(`${exchange.url}/exchange/status`).then((r) => r.json())).toEqual({
      exchange_active: true,
      trading_active: true,
    });
    expect((await fetch(`${exchange.url}/events/${FIRST_EVENT}`)).status).toBe(200);
  });
});

describe('markets', () => {
  it('lists the hour event with 41 strikes n×250 − 0.01, quotes 1..99 and volume ≥ 1000 near the spot', async () => {
    const { event, markets } = await client.getEvent(FIRST_EVENT);
    expect(event.event_ticker).toBe(FIRST_EVENT);
    expect(markets).toHaveLength(41);
    const spot = exchange.world.price();
    for (const m of markets) {
      expect(m.ticker).toBe(`${FIRST_EVENT}-T${(m.floor_strike as number).toFixed(2)}`);
      expect(Math.round(((m.floor_strike as number) + 0.01) * 100) % 25_000).toBe(0);
      expect(m.close_time).toBe('2025-07-16T21:00:00.000Z');
      expect(m.status).toBe('active');
      expect(m.yes_bid).toBeGreaterThanOrEqual(1);
      expect(m.yes_ask).toBeLessThanOrEqual(99);
      expect(m.no_ask).toBe(100 - m.yes_bid);
      if (Math.abs((m.floor_strike as number) - spot) <= 1000) expect(m.volume).toBeGreaterThanOrEqual(1000);
    }
    const page1 = await client.getMarkets({ event_ticker: FIRST_EVENT, limit: 30 });
    const page2 = await client.getMarkets({ event_ticker: FIRST_EVENT, limit: 30, cursor: page1.cursor });
    expect(page1.markets).toHaveLength(30);
    expect(page2.markets).toHaveLength(11);
    expect(page2.cursor).toBe('');
    expect(new Set([...page1.markets, ...page2.markets].map((m) => m.ticker)).size).toBe(41);
    expect((await client.getMarkets({ event_ticker: FIRST_EVENT, status: 'settled' })).markets).toHaveLength(0);
  });
});

describe('orders', () => {
  it('fills a fill-or-kill buy at the ask and charges cost + taker fee', async () => {
    const market = await atTheMoney(client);
    const ask = market.yes_ask;
    // A limit 3¢ above the ask still fills at the ask.
    const order = await client.createOrder({
      ticker: market.ticker,
      side: 'yes',
      count: 10,
      limitCents: Math.min(99, ask + 3),
      clientOrderId: 'trade-1',
    });
    expect(order).toMatchObject({
      status: 'executed',
      fill_count: 10,
      remaining_count: 0,
      client_order_id: 'trade-1',
      side: 'yes',
      action: 'buy',
    });
    expect(order.taker_fill_cost).toBe(10 * ask);
    expect(order.taker_fees).toBe(fee(10, ask));
    const [fill] = await client.listFillsAll();
    expect(fill).toMatchObject({
      order_id: order.order_id,
      count: 10,
      yes_price: ask,
      no_price: 100 - ask,
      is_taker: true,
      side: 'yes',
    });
    const balance = (await client.getBalance()).balance;
    expect(balance).toBe(100_000 - 10 * ask - fee(10, ask));
    const [position] = await client.listPositionsAll();
    expect(position).toMatchObject({
      ticker: market.ticker,
      position: 10,
      market_exposure: 10 * ask,
      fees_paid: fee(10, ask),
      realized_pnl: 0,
    });
  });

  it('buys NO at the NO ask and holds a negative position; buying YES back nets it', async () => {
    const market = await atTheMoney(client);
    await client.createOrder({
      ticker: market.ticker,
      side: 'no',
      count: 4,
      limitCents: market.no_ask,
      clientOrderId: 'n1',
    });
    expect((await client.listPositionsAll())[0]?.position).toBe(-4);
    await client.createOrder({
      ticker: market.ticker,
      side: 'yes',
      count: 4,
      limitCents: market.yes_ask,
      clientOrderId: 'y1',
    });
    const [position] = await client.listPositionsAll();
    // Same second, same quote: the 4 pairs pay 400; paid 4 × no_ask then 4 × yes_ask.
    const pnl = 4 * (100 - market.yes_ask) - 4 * market.no_ask;
    expect(position).toMatchObject({ position: 0, market_exposure: 0, realized_pnl: pnl });
    const fees = fee(4, market.no_ask) + fee(4, market.yes_ask);
    expect((await client.getBalance()).balance).toBe(100_000 + pnl - fees);
  });

  it('rejects what cannot fill whole: limit under the ask, more than the ask size, and more than the balance', async () => {
    const market = await atTheMoney(client);
    const reject = (intent: Parameters<ExchangeClient['createOrder']>[0], c = client) =>
      c.createOrder(intent).then(
        () => 'filled',
        (e: unknown) => (e instanceof ExchangeRejectedError ? `${e.status} ${e.exchangeCode}` : String(e)),
      );
    expect(
      await reject({
        ticker: market.ticker,
        side: 'yes',
        count: 1,
        limitCents: market.yes_ask - 1,
        clientOrderId: 'r1',
      }),
    ).toBe('400 insufficient_resting_volume');
    expect(
      await reject({ ticker: market.ticker, side: 'yes', count: 501, limitCents: market.yes_ask, clientOrderId: 'r2' }),
    ).toBe('400 insufficient_resting_volume');
    const poorKeys: KeyPair = makeKeys();
    await addAccount(exchange, 'poor', poorKeys, 10 * market.yes_ask + fee(10, market.yes_ask) - 1); // one cent short
    const poor = clientFor(exchange, 'poor', poorKeys);
    expect(
      await reject(
        { ticker: market.ticker, side: 'yes', count: 10, limitCents: market.yes_ask, clientOrderId: 'r3' },
        poor,
      ),
    ).toBe('400 insufficient_balance');
    expect(
      await reject({ ticker: 'KXBTCD-25JUL1617-T1.99', side: 'yes', count: 1, limitCents: 50, clientOrderId: 'r4' }),
    ).toBe('400 market_not_found');
    // Nothing happened to either account.
    expect((await ledger()).orders).toHaveLength(0);
    expect((await ledger()).balance).toBe(100_000);
    expect((await ledger('poor')).balance).toBe(10 * market.yes_ask + fee(10, market.yes_ask) - 1);
  });

  it('treats client_order_id as an idempotency key, a rejection included', async () => {
    const market = await atTheMoney(client);
    const intent = {
      ticker: market.ticker,
      side: 'yes' as const,
      count: 2,
      limitCents: market.yes_ask,
      clientOrderId: 'same-trade',
    };
    const first = await client.createOrder(intent);
    const second = await client.createOrder(intent);
    expect(second.order_id).toBe(first.order_id);
    const after = await ledger();
    expect(after.orders).toHaveLength(1);
    expect(after.balance).toBe(100_000 - 2 * market.yes_ask - fee(2, market.yes_ask));

    // Rejected once (limit under the ask): the same id stays rejected, even with a fillable limit.
    const low = {
      ticker: market.ticker,
      side: 'yes' as const,
      count: 1,
      limitCents: market.yes_ask - 1,
      clientOrderId: 'rejected-trade',
    };
    await expect(client.createOrder(low)).rejects.toMatchObject({ exchangeCode: 'insufficient_resting_volume' });
    await expect(client.createOrder({ ...low, limitCents: 99 })).rejects.toMatchObject({
      exchangeCode: 'insufficient_resting_volume',
    });
    const final = await ledger();
    expect(final.orders).toHaveLength(1);
    expect(final.rejections.map((r: { client_order_id: string }) => r.client_order_id)).toEqual(['rejected-trade']);
  });

  it('rejects orders on a settled market', async () => {
    const market = await atTheMoney(client);
    await admin(exchange, 'POST', '/advance', { seconds: 1800 });
    await expect(
      client.createOrder({ ticker: market.ticker, side: 'yes', count: 1, limitCents: 99, clientOrderId: 'late' }),
    ).rejects.toMatchObject({
      exchangeCode: 'market_settled',
    });
  });
});

describe('bad input', () => {
  it('answers malformed JSON, bad fields and unknown tickers with 400 and a code, and keeps serving', async () => {
    const market = await atTheMoney(client);
    const post = (body: string, contentType?: string) =>
      signedFetch(exchange, 'alice', keys, 'POST', '/portfolio/orders', {
        body,
        ...(contentType ? { contentType } : {}),
      });
    const cases: [string, string][] = [
      ['{"ticker": ', 'invalid_json'],
      ['[]', 'invalid_parameters'],
      [
        JSON.stringify({ ticker: market.ticker, action: 'buy', side: 'yes', count: 0, yes_price: 50 }),
        'invalid_parameters',
      ],
      [
        JSON.stringify({ ticker: market.ticker, action: 'buy', side: 'maybe', count: 1, yes_price: 50 }),
        'invalid_parameters',
      ],
      [JSON.stringify({ ticker: market.ticker, action: 'buy', side: 'yes', count: 1 }), 'invalid_parameters'],
      [
        JSON.stringify({ ticker: market.ticker, action: 'buy', side: 'yes', count: 1, yes_price: 'fifty' }),
        'invalid_parameters',
      ],
      [JSON.stringify({ ticker: 'NOPE', action: 'buy', side: 'yes', count: 1, yes_price: 50 }), 'market_not_found'],
      [
        JSON.stringify({ ticker: market.ticker, action: 'sell', side: 'yes', count: 1, yes_price: 50 }),
        'unsupported_action',
      ],
    ];
    for (const [body, code] of cases) {
      const reply = await post(body);
      expect({ body, status: reply.status, code: reply.json.error?.code }).toEqual({ body, status: 400, code });
    }
    const text = await post('hello', 'text/plain');
    expect(text.status).toBe(400);
    for (const query of ['limit=101', 'limit=0', 'limit=abc', 'cursor=zzz']) {
      const reply = await signedFetch(exchange, 'alice', keys, 'GET', `/portfolio/fills?${query}`);
      expect({ query, status: reply.status, code: reply.json.error.code }).toEqual({
        query,
        status: 400,
        code: 'invalid_parameters',
      });
    }
    expect((await fetch(`${exchange.url}/events/NOPE`)).status).toBe(404);
    // Still serving, and still trading.
    expect((await client.getExchangeStatus()).exchange_active).toBe(true);
    const order = await client.createOrder({
      ticker: market.ticker,
      side: 'yes',
      count: 1,
      limitCents: market.yes_ask,
      clientOrderId: 'after-bad',
    });
    expect(order.status).toBe('executed');
  });
});
