import { CHANNEL_CLASS_NAMES, channelMatches, HEALTH_CHANNEL, isChannelPattern } from '@recio/contract';
import { HealthChange, isGapless } from '@recio/platform';
import { FanoutReader, type FanoutDeps, type RecioEvent } from '@recio/router';

/** Something the hub hands events to (a socket's subscription). */
export interface HubSubscriber {
  /** One event of a channel the subscriber named (or of a pattern it named), in seq order per channel. */
  deliver(event: RecioEvent): void;
}

/**
 * One per main-app process: every event of every channel class, live from Redis pub/sub through the
 * router's fan-out reader (in seq order per channel, gaps filled from replay, caught up after a
 * reconnect), handed to the sockets subscribed to its channel or to a pattern matching it. It
 * remembers each channel's last seq, so a socket that resubscribes with the seq it has costs no
 * read at all, and a subscription that does need history reads only what it missed; and the newest
 * event of each latest-value channel, so a page's first price and strike table come from memory,
 * and the newest `health.changed` of each component (and trader), so a page starts with the
 * platform's current state without reading the health channel's history.
 */
export class GatewayHub {
  readonly #router: FanoutDeps;
  readonly #reader: FanoutReader;
  readonly #byChannel = new Map<string, Set<HubSubscriber>>();
  readonly #byPattern = new Map<string, Set<HubSubscriber>>();
  /** The last seq of each channel the hub knows (from events it handed on, or a head it was told). */
  readonly #heads = new Map<string, number>();
  /** The newest event of each latest-value channel (prices, markets) the hub handed on. */
  readonly #latest = new Map<string, RecioEvent>();
  /** The newest `health.changed` per component and trader it names. */
  readonly #health = new Map<string, RecioEvent>();

  constructor(router: FanoutDeps) {
    this.#router = router;
    this.#reader = new FanoutReader(router, {
      channels: CHANNEL_CLASS_NAMES.map((cls) => `${cls}:*`),
      onEvent: (event) => this.#dispatch(event),
    });
  }

  /**
   * Goes live, then folds the health channel's recent tail (`healthTail` events, from Redis while it
   * holds them) into the current state: a component that changed longer ago than that shows as
   * unknown until it changes again.
   */
  async start(healthTail = 2_000): Promise<void> {
    await this.#reader.start();
    const head = await this.head(HEALTH_CHANNEL);
    try {
      for (let since = Math.max(1, head - healthTail + 1); since <= head;) {
        const page = await this.#router.replay(HEALTH_CHANNEL, { sinceSeq: since, limit: healthTail });
        for (const event of page.events) this.#foldHealth(event);
        if (!page.hasMore || page.next <= since) break;
        since = page.next;
      }
    } catch (err) {
      // The tail is past retention (a quiet channel, events older than their class keeps): the
      // state starts from what arrives live. A page load shows what is known, never fails.
      this.#router.logger.warn({ err }, 'health tail not read: the health state starts empty');
    }
  }

  close(): void {
    this.#reader.close();
  }

  /**
   * The channel's last committed seq: the hub's own when it has seen the channel, else PostgreSQL's
   * head (one query, then remembered).
   */
  async head(channel: string): Promise<number> {
    const known = this.#heads.get(channel);
    if (known !== undefined) return known;
    const { head } = await this.#router.replay(channel, { sinceSeq: Number.MAX_SAFE_INTEGER, limit: 1 });
    this.#noteHead(channel, head);
    return this.#heads.get(channel)!;
  }

  /** The newest event the hub handed on for a latest-value channel (COALESCED_CLASSES), if any. */
  latest(channel: string): RecioEvent | undefined {
    return this.#latest.get(channel);
  }

  /** The newest `health.changed` of each component (and trader), in seq order; the seq they are current at. */
  health(): { events: RecioEvent[]; seq: number } {
    const events = [...this.#health.values()].sort((a, b) => a.seq - b.seq);
    return { events, seq: this.#heads.get(HEALTH_CHANNEL) ?? 0 };
  }

  /** Starts handing `subscriber` the events of `channelOrPattern` from now on. */
  add(channelOrPattern: string, subscriber: HubSubscriber): void {
    const index = isChannelPattern(channelOrPattern) ? this.#byPattern : this.#byChannel;
    let set = index.get(channelOrPattern);
    if (!set) index.set(channelOrPattern, (set = new Set()));
    set.add(subscriber);
  }

  remove(channelOrPattern: string, subscriber: HubSubscriber): void {
    const index = isChannelPattern(channelOrPattern) ? this.#byPattern : this.#byChannel;
    const set = index.get(channelOrPattern);
    set?.delete(subscriber);
    if (set?.size === 0) index.delete(channelOrPattern);
  }

  /** Subscribers of concrete channels and of patterns (for the metrics). */
  get subscriptions(): number {
    let n = 0;
    for (const set of this.#byChannel.values()) n += set.size;
    for (const set of this.#byPattern.values()) n += set.size;
    return n;
  }

  #noteHead(channel: string, seq: number): void {
    // An event handed on while a head was being read may be newer than that head.
    if (seq > (this.#heads.get(channel) ?? -1)) this.#heads.set(channel, seq);
  }

  #foldHealth(event: RecioEvent): void {
    if (event.type !== 'health.changed') return;
    const change = HealthChange.safeParse(event.data);
    if (!change.success) return;
    const key = `${change.data.component}\u0000${change.data.userId ?? ''}`;
    if ((this.#health.get(key)?.seq ?? 0) < event.seq) this.#health.set(key, event);
  }

  #dispatch(event: RecioEvent): void {
    this.#noteHead(event.channel, event.seq);
    if (event.channel === HEALTH_CHANNEL) this.#foldHealth(event);
    if (!isGapless(event.channel)) this.#latest.set(event.channel, event);
    for (const s of this.#byChannel.get(event.channel) ?? []) s.deliver(event);
    for (const [pattern, set] of this.#byPattern) {
      if (channelMatches(pattern, event.channel)) for (const s of set) s.deliver(event);
    }
  }
}
