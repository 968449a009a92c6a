import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { frameText } from '@recio/exchange-client';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { uniformOf } from './prng.js';
import type { World, WorldEvent } from './world.js';

// A Coinbase Exchange WebSocket feed (the `ticker` channel of wss://ws-feed.exchange.coinbase.com)
// served from the simulated price path, so the price watchdog runs one code path for the real
// feed and this one. Numbers are strings and `time` is the SIMULATED time, as Coinbase shapes them.

/** The product this feed quotes. */
export const FEED_PRODUCT = 'BTC-USD';

/** One Coinbase `ticker` message. */
export interface CoinbaseTicker {
  type: 'ticker';
  sequence: number;
  product_id: string;
  price: string;
  open_24h: string;
  volume_24h: string;
  low_24h: string;
  high_24h: string;
  volume_30d: string;
  best_bid: string;
  best_bid_size: string;
  best_ask: string;
  best_ask_size: string;
  side: 'buy' | 'sell';
  time: string;
  trade_id: number;
  last_size: string;
}

const DAY_SECONDS = 86_400;

interface Point {
  sec: number;
  price: number;
}

/** A FIFO with O(1) amortised shift (Array.shift is O(n), too slow over a day of ticks). */
class Queue {
  private items: Point[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }
  first(): Point | undefined {
    return this.items[this.head];
  }
  last(): Point | undefined {
    return this.items[this.items.length - 1];
  }
  push(point: Point): void {
    this.items.push(point);
  }
  popLast(): void {
    if (this.size > 0) this.items.pop();
  }
  shift(): void {
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/** Sliding 24 h open/low/high over the ticks seen (monotonic queues: O(1) amortised per tick). */
class Rolling24h {
  private readonly ticks = new Queue();
  private readonly lows = new Queue();
  private readonly highs = new Queue();

  push(sec: number, price: number): void {
    const point = { sec, price };
    this.ticks.push(point);
    while (this.lows.size > 0 && (this.lows.last() as Point).price >= price) this.lows.popLast();
    this.lows.push(point);
    while (this.highs.size > 0 && (this.highs.last() as Point).price <= price) this.highs.popLast();
    this.highs.push(point);
    const from = sec - DAY_SECONDS;
    for (const queue of [this.ticks, this.lows, this.highs]) {
      while (queue.size > 1 && (queue.first() as Point).sec <= from) queue.shift();
    }
  }

  open(): number {
    return this.ticks.first()?.price ?? 0;
  }
  low(): number {
    return this.lows.first()?.price ?? 0;
  }
  high(): number {
    return this.highs.first()?.price ?? 0;
  }
}

/** Coinbase prints microseconds: 2025-07-16T16:00:01.000000Z. */
function coinbaseTime(sec: number): string {
  return new Date(sec * 1000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The feed WebSocket at /coinbase. */
export class PriceFeedWebSocket {
  private readonly world: World;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly subscribers = new Set<WebSocket>();
  // Coinbase's `heartbeat` channel: one message a second (wall time) per product, so a client can
  // tell a quiet feed (the stepped clock waiting) from a dead one.
  private readonly heartbeats = new Set<WebSocket>();
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly rolling = new Rolling24h();
  private readonly unsubscribeWorld: () => void;
  private sequence = 0;
  private last: CoinbaseTicker;

  constructor(world: World) {
    this.world = world;
    this.last = this.record(world.nowSec(), world.price());
    this.unsubscribeWorld = world.on((event) => this.onWorldEvent(event));
    this.heartbeatTimer = setInterval(() => this.beat(), 1_000);
    this.heartbeatTimer.unref();
  }

  /** Completes an upgrade to the feed (the feed is public, as Coinbase's is). */
  accept(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data: RawData) => this.onMessage(ws, data));
      ws.on('close', () => {
        this.subscribers.delete(ws);
        this.heartbeats.delete(ws);
      });
      ws.on('error', () => ws.terminate());
    });
  }

  /** The latest ticker message. */
  lastTicker(): CoinbaseTicker {
    return this.last;
  }

  /** Closes every connection and stops. Idempotent. */
  close(): void {
    this.unsubscribeWorld();
    clearInterval(this.heartbeatTimer);
    for (const ws of this.wss.clients) ws.terminate();
    this.subscribers.clear();
    this.heartbeats.clear();
    this.wss.close();
  }

  private onWorldEvent(event: WorldEvent): void {
    if (event.type !== 'tick') return;
    this.last = this.record(event.sec, event.price);
    const text = JSON.stringify(this.last);
    for (const ws of this.subscribers) if (ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  private beat(): void {
    if (this.heartbeats.size === 0) return;
    const text = JSON.stringify({
      type: 'heartbeat',
      sequence: this.sequence,
      last_trade_id: this.last.trade_id,
      product_id: FEED_PRODUCT,
      time: coinbaseTime(this.world.nowSec()),
    });
    for (const ws of this.heartbeats) if (ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  private record(sec: number, price: number): CoinbaseTicker {
    const previous = this.last as CoinbaseTicker | undefined;
    this.rolling.push(sec, price);
    this.sequence += 1;
    // A down-tick traded at the bid (a seller took it), an up-tick at the ask.
    const side = previous !== undefined && price < Number(previous.price) ? 'sell' : 'buy';
    const bid = side === 'sell' ? price : price - 0.01;
    const ask = side === 'sell' ? price + 0.01 : price;
    const size = (x: string) => (0.0001 + uniformOf(x, this.world.seed, sec) * 0.5).toFixed(8);
    return {
      type: 'ticker',
      sequence: this.sequence,
      product_id: FEED_PRODUCT,
      price: price.toFixed(2),
      open_24h: this.rolling.open().toFixed(2),
      volume_24h: (8000 + uniformOf('vol24', this.world.seed, Math.floor(sec / 3600)) * 4000).toFixed(8),
      low_24h: this.rolling.low().toFixed(2),
      high_24h: this.rolling.high().toFixed(2),
      volume_30d: (300000 + uniformOf('vol30', this.world.seed, Math.floor(sec / DAY_SECONDS)) * 50000).toFixed(8),
      best_bid: bid.toFixed(2),
      best_bid_size: size('bid'),
      best_ask: ask.toFixed(2),
      best_ask_size: size('ask'),
      side,
      time: coinbaseTime(sec),
      trade_id: this.sequence,
      last_size: size('last'),
    };
  }

  private onMessage(ws: WebSocket, data: RawData): void {
    const fail = (reason: string) => ws.send(JSON.stringify({ type: 'error', message: 'Failed to subscribe', reason }));
    let message: unknown;
    try {
      message = JSON.parse(frameText(data));
    } catch {
      ws.send(JSON.stringify({ type: 'error', message: 'Malformed JSON', reason: 'the message is not JSON' }));
      return;
    }
    if (typeof message !== 'object' || message === null) return fail('the message is not an object');
    const m = message as { type?: unknown; product_ids?: unknown; channels?: unknown };
    if (m.type !== 'subscribe' && m.type !== 'unsubscribe') return fail(`type ${JSON.stringify(m.type)} is not valid`);
    const channels = Array.isArray(m.channels) ? m.channels : [];
    const products = new Set<unknown>(Array.isArray(m.product_ids) ? m.product_ids : []);
    const names = new Set<string>();
    for (const channel of channels) {
      if (typeof channel === 'string') {
        if (channel !== 'ticker' && channel !== 'heartbeat') return fail(`channel ${channel} is not supported`);
        names.add(channel);
      } else if (
        typeof channel === 'object' &&
        channel !== null &&
        ['ticker', 'heartbeat'].includes((channel as { name?: string }).name ?? '')
      ) {
        names.add((channel as { name: string }).name);
        const ids = (channel as { product_ids?: unknown }).product_ids;
        if (Array.isArray(ids)) for (const id of ids) products.add(id);
      } else {
        return fail(`channel ${JSON.stringify(channel)} is not supported`);
      }
    }
    if (channels.length === 0) return fail('channels are required');
    if (products.size === 0) return fail('product_ids are required');
    for (const product of products)
      if (product !== FEED_PRODUCT) return fail(`${String(product)} is not a valid product`);
    const subscribed = () => [
      ...(this.subscribers.has(ws) ? [{ name: 'ticker', product_ids: [FEED_PRODUCT], account_ids: null }] : []),
      ...(this.heartbeats.has(ws) ? [{ name: 'heartbeat', product_ids: [FEED_PRODUCT], account_ids: null }] : []),
    ];
    if (m.type === 'unsubscribe') {
      if (names.has('ticker')) this.subscribers.delete(ws);
      if (names.has('heartbeat')) this.heartbeats.delete(ws);
      ws.send(JSON.stringify({ type: 'subscriptions', channels: subscribed() }));
      return;
    }
    if (names.has('heartbeat')) this.heartbeats.add(ws);
    const newTicker = names.has('ticker') && !this.subscribers.has(ws);
    if (names.has('ticker')) this.subscribers.add(ws);
    ws.send(JSON.stringify({ type: 'subscriptions', channels: subscribed() }));
    if (newTicker) ws.send(JSON.stringify(this.last));
  }
}
