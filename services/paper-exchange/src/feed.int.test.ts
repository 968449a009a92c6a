import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admin, openSocket, startTestExchange } from './testing.js';
import type { PaperExchange } from './index.js';

let exchange: PaperExchange;
const sockets: { terminate(): void }[] = [];

beforeEach(async () => {
  exchange = await startTestExchange({ seed: 'feed', startPrice: 117_250.5 });
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await exchange.close();
});

const STRING_FIELDS = [
  'price',
  'open_24h',
  'volume_24h',
  'low_24h',
  'high_24h',
  'volume_30d',
  'best_bid',
  'best_bid_size',
  'best_ask',
  'best_ask_size',
  'last_size',
];

describe('the Coinbase-protocol feed at /coinbase', () => {
  it('answers a subscribe with `subscriptions`, the current ticker at once, then one ticker per simulated second', async () => {
    const { socket, log } = await openSocket(exchange.feedUrl);
    sockets.push(socket);
    socket.send(JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['ticker'] }));
    const subscriptions = await log.next((m) => m.type === 'subscriptions');
    expect(subscriptions.channels).toEqual([{ name: 'ticker', product_ids: ['BTC-USD'], account_ids: null }]);
    const current = await log.next((m) => m.type === 'ticker');
    expect(log.messages.indexOf(current)).toBe(1); // right after `subscriptions`
    expect(current).toMatchObject({
      type: 'ticker',
      product_id: 'BTC-USD',
      price: '117250.50',
      time: '2025-07-16T20:30:00.000000Z',
      side: 'buy',
    });
    for (const field of STRING_FIELDS) expect(typeof current[field]).toBe('string');
    expect(Number.isInteger(current.sequence) && Number.isInteger(current.trade_id)).toBe(true);

    await admin(exchange, 'POST', '/advance', { seconds: 3 });
    await log.next(() => log.messages.filter((m) => m.type === 'ticker').length === 4);
    const tickers = log.messages.filter((m) => m.type === 'ticker');
    const startSec = Date.parse('2025-07-16T20:30:00Z') / 1000;
    tickers.forEach((t, i) => {
      expect(t.sequence).toBe(current.sequence + i);
      expect(t.time).toBe(new Date((startSec + i) * 1000).toISOString().replace('Z', '000Z'));
      expect(t.price).toBe(exchange.world.path.priceAt(startSec + i).toFixed(2));
      expect(Number(t.best_bid)).toBeLessThanOrEqual(Number(t.price));
      expect(Number(t.best_ask)).toBeGreaterThanOrEqual(Number(t.price));
      expect(Number(t.low_24h)).toBeLessThanOrEqual(Number(t.price));
      expect(Number(t.high_24h)).toBeGreaterThanOrEqual(Number(t.price));
      expect(t.open_24h).toBe('117250.50');
    });
  });

  it('sends heartbeats while the stepped clock waits, so a quiet feed is not a dead one', async () => {
    const { socket, log } = await openSocket(exchange.feedUrl);
    sockets.push(socket);
    socket.send(JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['ticker', 'heartbeat'] }));
    const subscriptions = await log.next((m) => m.type === 'subscriptions');
    expect(subscriptions.channels.map((c: { name: string }) => c.name)).toEqual(['ticker', 'heartbeat']);
    // No tick happens (the clock is stepped and nobody advances it), yet heartbeats arrive.
    await log.next(() => log.messages.filter((m) => m.type === 'heartbeat').length === 2);
    const beat = log.messages.find((m) => m.type === 'heartbeat');
    expect(beat).toMatchObject({ product_id: 'BTC-USD', time: '2025-07-16T20:30:00.000000Z' });
    expect(log.messages.filter((m) => m.type === 'ticker')).toHaveLength(1);
    // Unsubscribing from the heartbeat keeps the ticker.
    socket.send(JSON.stringify({ type: 'unsubscribe', product_ids: ['BTC-USD'], channels: ['heartbeat'] }));
    const after = await log.next((m) => m.type === 'subscriptions' && m !== subscriptions);
    expect(after.channels.map((c: { name: string }) => c.name)).toEqual(['ticker']);
  });

  it('answers bad messages with Coinbase-style errors and keeps the connection', async () => {
    const { socket, log } = await openSocket(exchange.feedUrl);
    sockets.push(socket);
    socket.send('{nope');
    expect(await log.next((m) => m.type === 'error')).toMatchObject({ message: 'Malformed JSON' });
    socket.send(JSON.stringify({ type: 'subscribe', product_ids: ['DOGE-USD'], channels: ['ticker'] }));
    socket.send(JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['level2'] }));
    socket.send(JSON.stringify({ type: 'hello' }));
    await log.next(() => log.messages.filter((m) => m.type === 'error').length === 4);
    expect(log.messages.filter((m) => m.type === 'error').map((m) => m.reason)).toEqual([
      'the message is not JSON',
      'DOGE-USD is not a valid product',
      'channel level2 is not supported',
      'type "hello" is not valid',
    ]);
    // The channel-object form works on the same connection.
    socket.send(JSON.stringify({ type: 'subscribe', channels: [{ name: 'ticker', product_ids: ['BTC-USD'] }] }));
    expect((await log.next((m) => m.type === 'ticker')).product_id).toBe('BTC-USD');
  });
});
