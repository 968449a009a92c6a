import type { Logger } from 'pino';
import { subscriberClient, type RedisClient } from '../redis/connection.js';

/**
 * Live hints that a channel has new entries: the append script PUBLISHes every event on its
 * channel, so one SUBSCRIBE per concrete channel and one PSUBSCRIBE per pattern tell the
 * consumer which streams to read, instead of a blocking read over thousands of streams
 * (invariant 10), and what was appended (a run may begin on it while the read is on its way).
 * Pub/sub may drop messages (a reconnect): the consumer's sweep covers that.
 */
export class Doorbell {
  readonly #sub: RedisClient;
  #closed = false;
  #connectedOnce = false;

  constructor(
    redis: RedisClient,
    private readonly channels: readonly string[],
    private readonly patterns: readonly string[],
    /** A channel rang, with the message: the event appended (rungDelivery), or anything someone PUBLISHed. */
    private readonly onRing: (channel: string, message: string) => void,
    private readonly onReconnect: () => void,
    private readonly logger: Logger,
  ) {
    this.#sub = subscriberClient(redis);
    this.#sub.on('error', (err: unknown) => this.logger.debug({ err }, 'doorbell connection error'));
    this.#sub.on('message', (channel: string, message: string) => this.onRing(channel, message));
    this.#sub.on('pmessage', (_pattern: string, channel: string, message: string) => this.onRing(channel, message));
    this.#sub.on('ready', () => {
      // ioredis re-subscribes by itself; whatever was published meanwhile was missed.
      if (this.#connectedOnce) this.onReconnect();
      this.#connectedOnce = true;
    });
  }

  async start(): Promise<void> {
    if (this.channels.length > 0) await this.#sub.subscribe(...this.channels);
    if (this.patterns.length > 0) await this.#sub.psubscribe(...this.patterns);
  }

  /** Listens to one more concrete channel. */
  async add(channel: string): Promise<void> {
    if (!this.#closed) await this.#sub.subscribe(channel);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sub.disconnect();
  }
}
