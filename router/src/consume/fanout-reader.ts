import { channelMatches, isChannelPattern } from '@recio/contract';
import type { Logger } from 'pino';
import { ClosedError } from '../errors.js';
import type { RecioEvent } from '../event.js';
import { subscriberClient, type RedisClient } from '../redis/connection.js';
import type { EventRouter } from '../router.js';

/** What a fan-out reader uses of its router (an EventRouter is one): Redis, the channel rules, replay, logs. */
export type FanoutDeps = Pick<EventRouter, 'redis' | 'channels' | 'replay' | 'logger'>;

/** Options of a {@link FanoutReader}. */
export interface FanoutOptions {
  /** Concrete channels and `class:prefix*` patterns. */
  channels: readonly string[];
  /** Called once per event, in seq order per channel. */
  onEvent: (event: RecioEvent) => void | Promise<void>;
  /** Last seq already seen per channel; the reader catches up from there before going live. */
  since?: ReadonlyMap<string, number>;
}

/**
 * Every event of some channels in this process, without a consumer group (the WebSocket
 * gateway): live from pub/sub, deduplicated and put in order by seq; a gap (a message lost
 * while the connection was down) is filled from replay before the event after it, and after
 * a reconnect every known channel catches up from replay.
 */
export class FanoutReader {
  readonly #router: FanoutDeps;
  readonly #o: FanoutOptions;
  readonly #last = new Map<string, number>();
  readonly #chains = new Map<string, Promise<void>>();
  readonly #logger: Logger;
  #sub: RedisClient | undefined;
  #closed = false;

  constructor(router: FanoutDeps, options: FanoutOptions) {
    this.#router = router;
    this.#o = options;
    for (const c of options.channels) router.channels.validatePattern(c);
    for (const [channel, seq] of options.since ?? []) this.#last.set(channel, seq);
    this.#logger = router.logger.child({ component: 'fanout' });
  }

  async start(): Promise<void> {
    if (this.#closed) throw new ClosedError('fanout reader');
    const sub = subscriberClient(this.#router.redis);
    this.#sub = sub;
    let connectedOnce = false;
    sub.on('error', (err: unknown) => this.#logger.debug({ err }, 'fanout connection error'));
    sub.on('message', (channel: string, message: string) => this.#onMessage(channel, message));
    sub.on('pmessage', (_p: string, channel: string, message: string) => this.#onMessage(channel, message));
    sub.on('ready', () => {
      if (connectedOnce)
        for (const channel of this.#last.keys())
          this.#enqueue(channel, () => this.#catchUp(channel, Number.MAX_SAFE_INTEGER));
      connectedOnce = true;
    });
    const concrete = this.#o.channels.filter((c) => !isChannelPattern(c));
    const patterns = this.#o.channels.filter(isChannelPattern);
    if (concrete.length > 0) await sub.subscribe(...concrete);
    if (patterns.length > 0) await sub.psubscribe(...patterns);
    // Events committed between `since` and the subscription.
    for (const channel of this.#last.keys())
      this.#enqueue(channel, () => this.#catchUp(channel, Number.MAX_SAFE_INTEGER));
  }

  /** The last seq delivered per channel. */
  positions(): ReadonlyMap<string, number> {
    return this.#last;
  }

  close(): void {
    this.#closed = true;
    this.#sub?.disconnect();
  }

  #onMessage(channel: string, message: string): void {
    if (this.#closed) return;
    if (!this.#o.channels.some((c) => channelMatches(c, channel))) return;
    let event: RecioEvent;
    try {
      event = JSON.parse(message) as RecioEvent;
      if (typeof event.seq !== 'number' || event.channel !== channel) throw new Error('not an event');
    } catch (err) {
      this.#logger.warn({ channel, err }, 'ignoring a pub/sub message that is not an event');
      return;
    }
    this.#enqueue(channel, async () => {
      const last = this.#last.get(channel);
      if (last === undefined) {
        this.#last.set(channel, event.seq - 1); // first sight of the channel: live from here
      } else if (event.seq > last + 1) {
        await this.#catchUp(channel, event.seq - 1);
      }
      await this.#deliver(event);
    });
  }

  /** Delivers the channel's events after the last one seen, up to `to`, from replay. */
  async #catchUp(channel: string, to: number): Promise<void> {
    for (;;) {
      const from = (this.#last.get(channel) ?? 0) + 1;
      if (from > to) return;
      const page = await this.#router.replay(channel, { sinceSeq: from, limit: Math.min(1_000, to - from + 1) });
      for (const event of page.events) if (event.seq <= to) await this.#deliver(event);
      if (!page.hasMore || page.events.length === 0) return;
    }
  }

  async #deliver(event: RecioEvent): Promise<void> {
    const last = this.#last.get(event.channel) ?? 0;
    if (event.seq <= last) return; // a duplicate (replay and live overlapped)
    this.#last.set(event.channel, event.seq);
    await this.#o.onEvent(event);
  }

  // One chain per channel: its events are handled one after another, in arrival order.
  #enqueue(channel: string, step: () => Promise<void>): void {
    const previous = this.#chains.get(channel) ?? Promise.resolve();
    const next = previous.then(step).catch((err: unknown) => this.#logger.warn({ channel, err }, 'fanout step failed'));
    this.#chains.set(channel, next);
  }
}
