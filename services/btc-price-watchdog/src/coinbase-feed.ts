import { backoffDelay } from '@recio/contract';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { frameText } from '@recio/exchange-client';
import WebSocket from 'ws';
import { z } from 'zod';

/** One trade price from the feed. */
export interface FeedTick {
  price: number;
  /** Feed time, ms (simulated time on the paper world's feed). */
  time: number;
}

/** Options of {@link CoinbaseFeed}. */
export interface CoinbaseFeedOptions {
  url: string;
  product: string;
  logger: Logger;
  /** Silence after which the connection is dropped and re-opened. @defaultValue 10000 */
  deadAfterMs?: number;
  /** First reconnect delay, doubling up to 30 s. @defaultValue 500 */
  reconnectBaseMs?: number;
}

// The Coinbase Exchange `ticker` message, the fields this service uses (price and time are strings).
const TickerMessage = z.object({
  type: z.literal('ticker'),
  product_id: z.string(),
  price: z.string().regex(/^\d+(\.\d+)?$/),
  time: z.iso.datetime({ offset: true }),
});

/**
 * The Coinbase Exchange WebSocket `ticker` channel, for the real feed and for the paper world's
 * feed alike (same protocol). Emits `tick`, `up` (first message after a (re)connect) and `down`
 * (connection lost or silent for deadAfterMs); reconnects with backoff until closed.
 */
export class CoinbaseFeed extends EventEmitter<{ tick: [FeedTick]; up: []; down: [string] }> {
  readonly #o: Required<CoinbaseFeedOptions>;
  #socket: WebSocket | undefined;
  #deadTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #alive = false;
  #closed = false;

  constructor(options: CoinbaseFeedOptions) {
    super();
    this.#o = { deadAfterMs: 10_000, reconnectBaseMs: 500, ...options };
  }

  /** Whether messages are arriving. */
  get alive(): boolean {
    return this.#alive;
  }

  /** Connects (and keeps reconnecting until close()). */
  start(): void {
    this.#connect();
  }

  /** Stops for good. Idempotent. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#deadTimer);
    clearTimeout(this.#retryTimer);
    this.#socket?.terminate();
  }

  #connect(): void {
    if (this.#closed) return;
    const socket = new WebSocket(this.#o.url, { handshakeTimeout: this.#o.deadAfterMs });
    this.#socket = socket;
    this.#armDeadTimer();
    socket.on('open', () => {
      socket.send(
        JSON.stringify({ type: 'subscribe', product_ids: [this.#o.product], channels: ['ticker', 'heartbeat'] }),
      );
    });
    socket.on('message', (raw) => this.#onMessage(frameText(raw)));
    socket.on('error', (err) => this.#o.logger.debug({ err }, 'price feed socket error'));
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#lost('connection closed');
    });
  }

  #onMessage(text: string): void {
    this.#armDeadTimer();
    if (!this.#alive) {
      this.#alive = true;
      this.#attempt = 0;
      this.emit('up');
    }
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.#o.logger.warn({ text: text.slice(0, 200) }, 'price feed sent non-JSON; ignored');
      return;
    }
    const ticker = TickerMessage.safeParse(message);
    if (!ticker.success) {
      const type = (message as { type?: unknown })?.type;
      if (type === 'error') this.#o.logger.warn({ message }, 'price feed error message');
      return; // subscriptions, heartbeat and other channels
    }
    if (ticker.data.product_id !== this.#o.product) return;
    this.emit('tick', { price: Number(ticker.data.price), time: Date.parse(ticker.data.time) });
  }

  #armDeadTimer(): void {
    clearTimeout(this.#deadTimer);
    this.#deadTimer = setTimeout(() => this.#lost(`no message for ${this.#o.deadAfterMs} ms`), this.#o.deadAfterMs);
  }

  #lost(reason: string): void {
    clearTimeout(this.#deadTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.removeAllListeners('close');
    socket?.on('error', () => undefined);
    socket?.terminate();
    if (this.#alive) {
      this.#alive = false;
      this.emit('down', reason);
    } else if (this.#attempt === 0) {
      this.emit('down', reason);
    }
    if (this.#closed) return;
    const delay = backoffDelay({ baseMs: this.#o.reconnectBaseMs, maxMs: 30_000, jitter: 'equal' }, this.#attempt);
    this.#attempt += 1;
    this.#o.logger.warn({ reason, retryInMs: Math.round(delay) }, 'price feed lost; reconnecting');
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }
}
