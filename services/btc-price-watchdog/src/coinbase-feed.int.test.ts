import { frameText } from '@recio/exchange-client';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { CoinbaseFeed } from './coinbase-feed.js';

// A feed that accepts the connection and then says nothing: neither Coinbase nor the paper
// exchange can be put in that state on purpose (both send heartbeats), so this test uses a bare
// WebSocket server that does exactly that and nothing else.
describe('CoinbaseFeed on a silent connection', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('declares the feed dead after deadAfterMs of silence and reconnects', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    closers.push(() => new Promise((r) => server.close(r)));
    let connections = 0;
    let subscribe: unknown;
    server.on('connection', (ws) => {
      connections += 1;
      ws.once('message', (m) => {
        subscribe = JSON.parse(frameText(m));
        if (connections === 1) ws.send(JSON.stringify({ type: 'subscriptions', channels: [] })); // one message, then silence
      });
    });
    const { port } = server.address() as { port: number };
    const feed = new CoinbaseFeed({
      url: `ws://127.0.0.1:${port}`,
      product: 'BTC-USD',
      logger: pino({ level: 'silent' }),
      deadAfterMs: 300,
      reconnectBaseMs: 50,
    });
    closers.push(() => feed.close());
    const events: string[] = [];
    feed.on('up', () => events.push('up'));
    feed.on('down', (reason) => events.push(`down: ${reason}`));
    feed.start();
    await expect.poll(() => events, { timeout: 10_000 }).toEqual(['up', 'down: no message for 300 ms']);
    await expect.poll(() => connections, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(subscribe).toEqual({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['ticker', 'heartbeat'] });
    expect(feed.alive).toBe(false);
  });
});
