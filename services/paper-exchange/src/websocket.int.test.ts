import {
  ExchangeAuthError,
  ExchangeWebSocket,
  ExchangeWsCommandError,
  signRequest,
  type ExchangeClient,
  type WsMarketPosition,
  type WsTicker,
} from '@recio/exchange-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { addAccount, admin, atTheMoney, clientFor, FIRST_EVENT, makeKeys, once, openSocket } from './testing.js';
import { startTestExchange } from './testing.js';
import type { PaperExchange } from './index.js';

const keys = makeKeys();
let exchange: PaperExchange;
let client: ExchangeClient;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeEach(async () => {
  exchange = await startTestExchange();
  await addAccount(exchange, 'dave', keys, 1_000_000);
  client = clientFor(exchange, 'dave', keys);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await exchange.close();
});

function socketFor(keyId = 'dave', privateKeyPem = keys.privateKey): ExchangeWebSocket {
  const ws = new ExchangeWebSocket({
    url: exchange.wsUrl,
    keyId,
    privateKeyPem,
    reconnectBaseMs: 10,
    reconnectMaxMs: 50,
  });
  cleanups.push(() => ws.close());
  return ws;
}

/** Collects typed events; `next` waits for the first unseen one matching. */
function collect<T>(
  ws: ExchangeWebSocket,
  event: 'market_position' | 'ticker',
): { all: T[]; next(p: (m: T) => boolean): Promise<T> } {
  const all: T[] = [];
  let waiters: { p: (m: T) => boolean; resolve: (m: T) => void }[] = [];
  ws.on(event, (message: WsMarketPosition | WsTicker) => {
    all.push(message as T);
    waiters = waiters.filter((w) => (w.p(message as T) ? (w.resolve(message as T), false) : true));
  });
  return {
    all,
    next: (p) => {
      const seen = all.find(p);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ p, resolve }));
    },
  };
}

describe('market_positions over ExchangeWebSocket', () => {
  it('pushes the position after every fill and settlement, and resumes after the server drops the socket', async () => {
    const ws = socketFor();
    const positions = collect<WsMarketPosition>(ws, 'market_position');
    await ws.start();
    const sids = await ws.subscribe(['market_positions']);
    expect(sids).toHaveLength(1);

    const market = await atTheMoney(client);
    await client.createOrder({
      ticker: market.ticker,
      side: 'yes',
      count: 3,
      limitCents: market.yes_ask,
      clientOrderId: 'w1',
    });
    const first = await positions.next((m) => m.msg.position === 3);
    // Money on this channel is in centi-cents, as the exchange sends it.
    expect(first.msg).toMatchObject({
      market_ticker: market.ticker,
      position: 3,
      position_cost: 3 * market.yes_ask * 100,
      realized_pnl: 0,
    });
    expect(first.sid).toBe(sids[0]);

    // The server drops the connection; the client reconnects, re-subscribes, says so.
    const reconnected = once(ws, 'reconnected');
    const dropped = (await admin(exchange, 'POST', '/disconnect', { key_id: 'dave' })).json.dropped;
    expect(dropped).toBe(1);
    await reconnected;
    expect(ws.connected).toBe(true);

    await client.createOrder({
      ticker: market.ticker,
      side: 'yes',
      count: 2,
      limitCents: market.yes_ask,
      clientOrderId: 'w2',
    });
    const second = await positions.next((m) => m.msg.position === 5);
    expect(second.msg.position_cost).toBe(5 * market.yes_ask * 100);

    await admin(exchange, 'POST', '/advance', { seconds: 1800 });
    const settled = await positions.next((m) => m.msg.position === 0);
    const closePrice = exchange.world.path.priceAt(Date.parse('2025-07-16T21:00:00Z') / 1000);
    const won = closePrice >= (market.floor_strike as number);
    expect(settled.msg.realized_pnl).toBe(((won ? 500 : 0) - 5 * market.yes_ask) * 100);
  });

  it('delivers only the subscribed markets when market_tickers is given', async () => {
    const { markets } = await client.getEvent(FIRST_EVENT);
    const [m1, m2] = markets.slice(18, 20);
    const ws = socketFor();
    const positions = collect<WsMarketPosition>(ws, 'market_position');
    await ws.start();
    await ws.subscribe(['market_positions'], { market_tickers: [m2?.ticker] });
    await client.createOrder({
      ticker: m1!.ticker,
      side: 'yes',
      count: 1,
      limitCents: m1!.yes_ask,
      clientOrderId: 'f1',
    });
    await client.createOrder({
      ticker: m2!.ticker,
      side: 'yes',
      count: 1,
      limitCents: m2!.yes_ask,
      clientOrderId: 'f2',
    });
    await positions.next((m) => m.msg.market_ticker === m2!.ticker);
    expect(positions.all.map((m) => m.msg.market_ticker)).toEqual([m2!.ticker]);
  });

  it('streams ticker quotes: the whole book at once, then changes as the clock ticks', async () => {
    const ws = socketFor();
    const tickers = collect<WsTicker>(ws, 'ticker');
    await ws.start();
    await ws.subscribe(['ticker']);
    await tickers.next(() => tickers.all.length >= 41);
    const startSec = Date.parse('2025-07-16T20:30:00Z') / 1000;
    expect(new Set(tickers.all.slice(0, 41).map((t) => t.msg.market_ticker)).size).toBe(41);
    expect(tickers.all[0]?.msg.ts).toBe(startSec);
    await admin(exchange, 'POST', '/advance', { seconds: 120 });
    const later = await tickers.next((t) => t.msg.ts > startSec);
    const market = exchange.world.book.market(later.msg.market_ticker);
    const quote = exchange.world.book.quote(market!, later.msg.ts);
    expect(later.msg).toMatchObject({ yes_bid: quote.yes_bid, yes_ask: quote.yes_ask });
  });

  it('refuses a bad signature at the upgrade with 401', async () => {
    const ws = socketFor('dave', makeKeys().privateKey);
    await expect(ws.start()).rejects.toBeInstanceOf(ExchangeAuthError);
    const stranger = socketFor('nobody');
    await expect(stranger.start()).rejects.toBeInstanceOf(ExchangeAuthError);
  });

  it('rejects an unknown channel with the exchange error code and keeps the connection', async () => {
    const ws = socketFor();
    await ws.start();
    const error = await ws.subscribe(['orderbook_snapshot_please']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExchangeWsCommandError);
    expect((error as ExchangeWsCommandError).wsCode).toBe(8);
    expect(await ws.subscribe(['fill'])).toHaveLength(1);
  });
});

describe('the trade WebSocket protocol', () => {
  it('answers bad commands with coded errors and never drops the connection for them', async () => {
    const headers = signRequest({
      keyId: 'dave',
      privateKey: keys.privateKey,
      method: 'GET',
      path: '/trade-api/ws/v2',
      timestampMs: Date.now(),
    });
    const { socket, log } = await openSocket(exchange.wsUrl, headers);
    cleanups.push(() => socket.terminate());
    socket.send('this is not json');
    expect((await log.next((m) => m.type === 'error')).msg.code).toBe(1);
    socket.send(JSON.stringify({ id: 2, cmd: 'dance', params: {} }));
    expect((await log.next((m) => m.id === 2)).msg.code).toBe(5);
    socket.send(JSON.stringify({ id: 3, cmd: 'subscribe' }));
    expect((await log.next((m) => m.id === 3)).msg.code).toBe(2);
    socket.send(JSON.stringify({ id: 4, cmd: 'subscribe', params: {} }));
    expect((await log.next((m) => m.id === 4)).msg.code).toBe(3);
    socket.send(JSON.stringify({ id: 5, cmd: 'subscribe', params: { channels: ['nope'] } }));
    expect((await log.next((m) => m.id === 5)).msg.code).toBe(8);
    socket.send(JSON.stringify({ id: 6, cmd: 'unsubscribe', params: { sids: [999] } }));
    expect((await log.next((m) => m.id === 6)).msg.code).toBe(7);
    socket.send(JSON.stringify({ id: 7, cmd: 'subscribe', params: { channels: ['market_positions', 'fill'] } }));
    const acks = [
      await log.next((m) => m.id === 7 && m.msg.channel === 'market_positions'),
      await log.next((m) => m.id === 7 && m.msg.channel === 'fill'),
    ];
    expect(acks.every((a) => a.type === 'subscribed' && Number.isInteger(a.msg.sid))).toBe(true);
    // The fill channel reports the order with its client_order_id.
    const market = await atTheMoney(client);
    await client.createOrder({
      ticker: market.ticker,
      side: 'no',
      count: 1,
      limitCents: market.no_ask,
      clientOrderId: 'raw-1',
    });
    const fill = await log.next((m) => m.type === 'fill');
    expect(fill.msg).toMatchObject({
      client_order_id: 'raw-1',
      side: 'no',
      no_price: market.no_ask,
      yes_price: 100 - market.no_ask,
      count: 1,
    });
  });
});

describe('dead connection detection', () => {
  // A fake server: a real paper exchange always answers pings, so a silent peer needs one that
  // does not (autoPong off, never sends anything).
  it('reconnects when nothing is heard for deadTimeoutMs', async () => {
    const silent = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: false });
    cleanups.push(() => new Promise((resolve) => silent.close(resolve)));
    await once(silent, 'listening');
    let connections = 0;
    silent.on('connection', (socket) => {
      connections += 1;
      cleanups.push(() => socket.terminate());
    });
    const port = (silent.address() as { port: number }).port;
    const ws = new ExchangeWebSocket({
      url: `ws://127.0.0.1:${port}/trade-api/ws/v2`,
      keyId: 'dave',
      privateKeyPem: keys.privateKey,
      pingIntervalMs: 20,
      deadTimeoutMs: 100,
      reconnectBaseMs: 5,
    });
    cleanups.push(() => ws.close());
    const disconnected = once(ws, 'disconnected');
    await ws.start();
    await disconnected;
    await once(ws, 'open');
    expect(connections).toBeGreaterThanOrEqual(2);
  });
});
