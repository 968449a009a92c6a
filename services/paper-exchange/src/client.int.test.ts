import { createServer } from 'node:net';
import {
  ExchangeAbortedError,
  ExchangeAuthError,
  ExchangeClient,
  ExchangeOutcomeUnknownError,
  ExchangeRateLimitedError,
  ExchangeRejectedError,
  ExchangeTimeoutError,
  ExchangeUnavailableError,
} from '@recio/exchange-client';
import { until } from '@recio/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addAccount, admin, atTheMoney, clientFor, makeKeys, signedFetch, startTestExchange } from './testing.js';
import type { PaperExchange } from './index.js';

// The client against a real paper exchange; failures come from the exchange's test-only fault
// switch (/sim/faults), so the retries run over real HTTP.

const keys = makeKeys();
let exchange: PaperExchange;

beforeEach(async () => {
  exchange = await startTestExchange();
  await addAccount(exchange, 'carol', keys, 10_000_000);
});

afterEach(async () => {
  await exchange.close();
});

const fault = (spec: Record<string, unknown>) => admin(exchange, 'POST', '/faults', spec);
const pendingFaults = async () => (await admin(exchange, 'GET', '/state')).json.faults_pending as number;

describe('retries', () => {
  it('retries 429 and 503 with backoff and then succeeds', async () => {
    const client = clientFor(exchange, 'carol', keys, { maxRetries: 4 });
    await fault({ status: 429, count: 2, path: '/portfolio/balance' });
    await fault({ status: 503, count: 2, path: '/portfolio/balance' });
    expect((await client.getBalance()).balance).toBe(10_000_000);
    expect(await pendingFaults()).toBe(0);
  });

  it('makes exactly maxRetries + 1 attempts, then throws the typed error', async () => {
    const client = clientFor(exchange, 'carol', keys, { maxRetries: 2 });
    await fault({ status: 503, count: 4, path: '/portfolio/balance' });
    const error = await client.getBalance().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExchangeUnavailableError);
    expect(error).toMatchObject({ code: 'EXCHANGE_UNAVAILABLE', status: 503 });
    expect(await pendingFaults()).toBe(1); // 3 of the 4 faults used
    await admin(exchange, 'DELETE', '/faults');

    await fault({ status: 429, count: 3, path: '/exchange/status' });
    await expect(client.getExchangeStatus()).rejects.toBeInstanceOf(ExchangeRateLimitedError);
  });

  it('never retries a 4xx', async () => {
    const client = clientFor(exchange, 'carol', keys, { maxRetries: 4 });
    await fault({ status: 400, code: 'bad_thing', count: 2, path: '/portfolio/balance' });
    await expect(client.getBalance()).rejects.toMatchObject({
      code: 'EXCHANGE_REJECTED',
      exchangeCode: 'bad_thing',
      status: 400,
    });
    expect(await pendingFaults()).toBe(1);
    await admin(exchange, 'DELETE', '/faults');
    await fault({ status: 403, count: 2, path: '/portfolio/balance' });
    await expect(client.getBalance()).rejects.toBeInstanceOf(ExchangeAuthError);
    expect(await pendingFaults()).toBe(1);
  });

  it('reports a dead host as unavailable after its retries', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address() as { port: number };
        server.close(() => resolve(address.port));
      });
    });
    const client = new ExchangeClient({
      baseUrl: `http://127.0.0.1:${port}/trade-api/v2`,
      maxRetries: 1,
      backoffBaseMs: 1,
    });
    const error = await client.getExchangeStatus().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExchangeUnavailableError);
    expect((error as ExchangeUnavailableError).status).toBeNull();
  });
});

describe('timeouts and aborts', () => {
  it('times out a slow answer, and a retry gets through', async () => {
    await fault({ delayMs: 400, count: 1, path: '/portfolio/balance' });
    const impatient = clientFor(exchange, 'carol', keys, { timeoutMs: 100, maxRetries: 0 });
    await expect(impatient.getBalance()).rejects.toBeInstanceOf(ExchangeTimeoutError);

    await fault({ delayMs: 400, count: 1, path: '/portfolio/balance' });
    const patient = clientFor(exchange, 'carol', keys, { timeoutMs: 100, maxRetries: 2 });
    expect((await patient.getBalance()).balance).toBe(10_000_000);
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    await fault({ delayMs: 500, count: 5, path: '/portfolio/balance' });
    const client = clientFor(exchange, 'carol', keys, { timeoutMs: 5_000, maxRetries: 4 });
    const controller = new AbortController();
    const call = client.getBalance({ signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(call).rejects.toBeInstanceOf(ExchangeAbortedError);
    expect(await pendingFaults()).toBe(4); // one attempt only
    const aborted = new AbortController();
    aborted.abort();
    await expect(client.getExchangeStatus({ signal: aborted.signal })).rejects.toBeInstanceOf(ExchangeAbortedError);
  });
});

describe('order idempotency through the client', () => {
  it('returns the original order when the reply to a placed order was lost and the request retried', async () => {
    const client = clientFor(exchange, 'carol', keys, { maxRetries: 3 });
    const market = await atTheMoney(client);
    // The order takes effect, then the reply is replaced with a 503: the client retries.
    await fault({ status: 503, after: true, count: 1, method: 'POST', path: '/portfolio/orders' });
    const order = await client.createOrder({
      ticker: market.ticker,
      side: 'yes',
      count: 3,
      limitCents: market.yes_ask,
      clientOrderId: 'lost-reply',
    });
    const ledger = (await admin(exchange, 'GET', '/ledger?key_id=carol')).json;
    expect(ledger.orders).toHaveLength(1);
    expect(ledger.orders[0].order_id).toBe(order.order_id);
  });

  it('looks the original order up when the exchange reports the client_order_id as a duplicate', async () => {
    const client = clientFor(exchange, 'carol', keys);
    const market = await atTheMoney(client);
    const intent = {
      ticker: market.ticker,
      side: 'no' as const,
      count: 2,
      limitCents: market.no_ask,
      clientOrderId: 'dup-1',
    };
    const first = await client.createOrder(intent);
    // Answer the repeat as the real exchange does: 409 with a duplicate code.
    await fault({
      status: 409,
      code: 'order_already_exists',
      after: true,
      count: 1,
      method: 'POST',
      path: '/portfolio/orders',
    });
    const again = await client.createOrder(intent);
    expect(again.order_id).toBe(first.order_id);
    expect(again.client_order_id).toBe('dup-1');
    expect((await admin(exchange, 'GET', '/ledger?key_id=carol')).json.orders).toHaveLength(1);
  });

  it('reports a duplicate whose original is not listed as an unknown outcome, never as a rejection (regression: a close went back to open and a second order followed)', async () => {
    const client = clientFor(exchange, 'carol', keys);
    const market = await atTheMoney(client);
    // The exchange answers 409 duplicate, but no order of this id is listed (yet).
    await fault({ status: 409, code: 'order_already_exists', count: 1, method: 'POST', path: '/portfolio/orders' });
    const intent = {
      ticker: market.ticker,
      side: 'no' as const,
      count: 1,
      limitCents: market.no_ask,
      clientOrderId: 'dup-lost',
    };
    const error = await client.createOrder(intent).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExchangeOutcomeUnknownError);
    expect(error).not.toBeInstanceOf(ExchangeRejectedError);
    expect(error).toMatchObject({ code: 'ORDER_OUTCOME_UNKNOWN', clientOrderId: 'dup-lost' });
    // Asked again with the same id, the order is placed once.
    const placed = await client.createOrder(intent);
    expect(placed.client_order_id).toBe('dup-lost');
    const ledger = (await admin(exchange, 'GET', '/ledger?key_id=carol')).json;
    expect(ledger.orders.filter((o: { client_order_id: string }) => o.client_order_id === 'dup-lost')).toHaveLength(1);
  });

  it('passes a non-duplicate rejection through untouched', async () => {
    const client = clientFor(exchange, 'carol', keys);
    const market = await atTheMoney(client);
    const error = await client
      .createOrder({ ticker: market.ticker, side: 'yes', count: 600, limitCents: market.yes_ask, clientOrderId: 'big' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExchangeRejectedError);
    expect((error as ExchangeRejectedError).exchangeCode).toBe('insufficient_resting_volume');
  });
});

describe('pagination', () => {
  it('pages through more than 100 fills, orders and markets with cursors', async () => {
    const client = clientFor(exchange, 'carol', keys);
    const market = await atTheMoney(client);
    for (let i = 0; i < 130; i++) {
      await client.createOrder({
        ticker: market.ticker,
        side: 'yes',
        count: 1,
        limitCents: market.yes_ask,
        clientOrderId: `p-${i}`,
      });
    }
    const fills = await client.listFillsAll();
    expect(fills).toHaveLength(130);
    expect(new Set(fills.map((f) => f.trade_id)).size).toBe(130);
    const ledger = (await admin(exchange, 'GET', '/ledger?key_id=carol')).json;
    expect(new Set(fills.map((f) => f.trade_id))).toEqual(
      new Set(ledger.fills.map((f: { trade_id: string }) => f.trade_id)),
    );
    // Newest first, across page boundaries.
    expect(fills[0]?.order_id).toBe(ledger.orders[129].order_id);
    expect(fills[129]?.order_id).toBe(ledger.orders[0].order_id);
    const smallPages = await client.listFillsAll({ limit: 7 }); // 19 pages
    expect(smallPages.map((f) => f.trade_id)).toEqual(fills.map((f) => f.trade_id));
    const orders = await client.listOrdersAll({ ticker: market.ticker });
    expect(orders.map((o) => o.client_order_id)).toEqual(Array.from({ length: 130 }, (_, i) => `p-${129 - i}`));
    await expect(client.listFillsAll({ limit: 101 })).rejects.toMatchObject({
      exchangeCode: 'invalid_parameters',
      status: 400,
    });
    const [position] = await client.listPositionsAll();
    expect(position).toMatchObject({ ticker: market.ticker, position: 130 });
  });
});

describe('injected faults', () => {
  it('lists every item twice under a duplicate fault, as a page an item moved into does, and only for the faulted request', async () => {
    const client = clientFor(exchange, 'carol', keys);
    const market = await atTheMoney(client);
    for (let i = 0; i < 3; i++) {
      await client.createOrder({
        ticker: market.ticker,
        side: 'yes',
        count: 1,
        limitCents: market.yes_ask,
        clientOrderId: `d-${i}`,
      });
    }
    await fault({ duplicate: true, path: '/portfolio/orders' });
    const ids = async () =>
      (await signedFetch(exchange, 'carol', keys, 'GET', '/portfolio/orders')).json.orders.map(
        (o: { client_order_id: string }) => o.client_order_id,
      );
    expect(await ids()).toEqual(['d-2', 'd-2', 'd-1', 'd-1', 'd-0', 'd-0']);
    expect(await pendingFaults()).toBe(0);
    expect(await ids()).toEqual(['d-2', 'd-1', 'd-0']);
  });

  it('counts each faulted answer when it is sent (after its delay), not when the request meets the fault', async () => {
    const state = async () => (await admin(exchange, 'GET', '/state')).json;
    expect(await state()).toMatchObject({ faults_answered: 0, fault_last_answered_at: null });
    await fault({ status: 503, path: '/portfolio/balance' });
    expect((await signedFetch(exchange, 'carol', keys, 'GET', '/portfolio/balance')).status).toBe(503);
    const first = await state();
    expect(first.faults_answered).toBe(1);
    expect(Date.parse(first.fault_last_answered_at)).toBeGreaterThan(0);

    await fault({ delayMs: 3_000, after: true, path: '/portfolio/balance' });
    const late = signedFetch(exchange, 'carol', keys, 'GET', '/portfolio/balance');
    await until('the delayed request met its fault', async () => (await state()).faults_pending === 0);
    expect((await state()).faults_answered).toBe(1); // still waiting to answer
    expect((await late).status).toBe(200);
    const second = await state();
    expect(second.faults_answered).toBe(2);
    expect(Date.parse(second.fault_last_answered_at)).toBeGreaterThanOrEqual(Date.parse(first.fault_last_answered_at));
    // A request no fault matched is not counted.
    await signedFetch(exchange, 'carol', keys, 'GET', '/portfolio/balance');
    expect((await state()).faults_answered).toBe(2);
    // ... and scraped as a metric, beside the process's own.
    const metrics = await (await fetch(`${exchange.origin}/metrics`)).text();
    expect(metrics).toMatch(/^recio_paper_faulted_answers\{service="paper-exchange"\} 2$/m);
    expect(metrics).toContain('process_cpu_seconds_total');
  });
});
