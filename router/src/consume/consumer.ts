import type { Logger } from 'pino';
import { streamKey } from '../channels.js';
import { ClosedError, errorCode } from '../errors.js';
import { randomUUID } from 'node:crypto';
import { decodeStreamEntry, type RecioEvent } from '../event.js';
import type { EventRouter } from '../router.js';
import { behindChannels, matchingChannels } from '../sql/behind-channels.js';
import { ensureOffset, readOffset } from '../sql/consumer-offset.js';
import { Applier, DeliveryFailure, type Delivery } from './applier.js';
import { ConsumerMetrics } from './consumer-metrics.js';
import {
  resolveConsumeOptions,
  retryDelay,
  type ConsumeOptions,
  type ResolvedConsumeOptions,
} from './consumer-options.js';
import { Doorbell } from './doorbell.js';
import { GroupStream, type StreamEntries } from './group-stream.js';
import { isPattern, matches, toLike } from './patterns.js';

interface ChannelState {
  readonly channel: string;
  readonly stream: GroupStream;
  queued: boolean;
  running: boolean;
  /** Woken while running: drain once more. */
  again: boolean;
  groupReady: boolean;
  /** This member's own PEL (entries it read before a restart) has been re-read. */
  ownPendingDone: boolean;
  /** The group's offset on this channel as the last sweep saw it while the channel was behind. */
  sweptApplied: number | null | undefined;
  /** Behind at the same offset in two sweeps running: something is stuck (a dead member, lost entries). */
  stalled: boolean;
  lastClaimAt: number;
  /** Deliveries waiting for a retry after a failure: the channel waits with them (order). */
  held: { deliveries: Delivery[]; at: number } | null;
  timer: NodeJS.Timeout | null;
}

/**
 * A member of a consumer group (invariants 7–10). Reads each channel's stream with
 * XREADGROUP when its doorbell rings (pub/sub), applies events exactly once and in order per
 * channel through the Applier, retries failures with backoff, dead-letters after
 * maxDeliveries, takes over entries idle in crashed members (XAUTOCLAIM), and recovers from
 * PostgreSQL what Redis no longer holds. Channels run in parallel, each one sequentially.
 */
export class Consumer {
  readonly options: ResolvedConsumeOptions<unknown>;
  readonly #router: EventRouter;
  readonly #logger: Logger;
  readonly #metrics: ConsumerMetrics;
  readonly #applier: Applier;
  readonly #abort = new AbortController();
  readonly #states = new Map<string, ChannelState>();
  readonly #queue: ChannelState[] = [];
  readonly #concrete: string[];
  readonly #patterns: string[];
  #doorbell: Doorbell | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #active = 0;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(router: EventRouter, options: ConsumeOptions<never>) {
    this.#router = router;
    this.options = resolveConsumeOptions(options as ConsumeOptions<unknown>);
    for (const c of this.options.channels) {
      if (isPattern(c)) router.channels.validatePattern(c);
      else router.channels.validate(c);
    }
    this.#concrete = this.options.channels.filter((c) => !isPattern(c));
    this.#patterns = this.options.channels.filter(isPattern);
    this.#logger = router.logger.child({ group: this.options.group, consumer: this.options.consumer });
    this.#metrics = new ConsumerMetrics(router.registry);
    this.#applier = new Applier(router, this.options, this.#metrics, this.#logger, this.#abort.signal);
  }

  /** Events read and not yet finished (applied, retried later or dead-lettered). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The channels this member knows of (concrete ones and those matching its patterns so far). */
  get channels(): string[] {
    return [...this.#states.keys()];
  }

  /** Subscribes, learns the channels matching its patterns, and starts reading. */
  async start(): Promise<void> {
    if (this.#closing) throw new ClosedError('consumer');
    for (const c of this.#concrete) this.#track(c);
    for (const c of await matchingChannels(this.#router.pool, this.#patterns.map(toLike))) this.#track(c);
    this.#doorbell = new Doorbell(
      this.#router.redis,
      this.#concrete,
      this.#patterns,
      (channel) => this.#ring(channel),
      () => this.#wakeAll(),
      this.#logger,
    );
    await this.#doorbell.start();
    this.#wakeAll();
    this.#scheduleSweep(0);
  }

  /**
   * Stops reading, lets handlers under way finish within `deadlineMs` (then aborts their
   * signal), and leaves every unacknowledged entry in the PEL for the group. Idempotent.
   */
  close(deadlineMs = 10_000): Promise<void> {
    this.#closing ??= (async () => {
      clearTimeout(this.#sweepTimer);
      this.#doorbell?.close();
      for (const s of this.#states.values()) if (s.timer) clearTimeout(s.timer);
      this.#queue.length = 0;
      if (this.#active > 0) {
        const idle = new Promise<void>((resolve) => (this.#idle = resolve));
        const timer = setTimeout(() => this.#abort.abort(), deadlineMs);
        await idle;
        clearTimeout(timer);
      }
      this.#abort.abort();
      this.#metrics.inFlight.set({ group: this.options.group }, 0);
    })();
    return this.#closing;
  }

  #track(channel: string): ChannelState {
    let state = this.#states.get(channel);
    if (!state) {
      const stream = new GroupStream(this.#router.redis, streamKey(channel), this.options.group, this.options.consumer);
      state = {
        channel,
        stream,
        queued: false,
        running: false,
        again: false,
        groupReady: false,
        ownPendingDone: false,
        sweptApplied: undefined,
        stalled: false,
        lastClaimAt: 0,
        held: null,
        timer: null,
      };
      this.#states.set(channel, state);
    }
    return state;
  }

  #ring(channel: string): void {
    if (this.#states.has(channel)) return this.#wake(this.#states.get(channel)!);
    if (this.#patterns.some((p) => matches(p, channel))) {
      try {
        this.#router.channels.validate(channel);
      } catch {
        return; // someone published on a name the router would never create
      }
      this.#logger.info({ channel }, 'pattern subscription picked up a new channel');
      this.#wake(this.#track(channel));
    }
  }

  #wakeAll(): void {
    for (const s of this.#states.values()) this.#wake(s);
  }

  #wake(state: ChannelState): void {
    if (this.#closing) return;
    if (state.running) {
      state.again = true;
      return;
    }
    if (!state.queued) {
      state.queued = true;
      this.#queue.push(state);
    }
    this.#pump();
  }

  #pump(): void {
    while (
      !this.#closing &&
      this.#active < this.options.concurrency &&
      this.#queue.length > 0 &&
      this.#inFlight < this.options.maxInFlight
    ) {
      const state = this.#queue.shift()!;
      state.queued = false;
      state.running = true;
      this.#active++;
      void this.#drain(state).finally(() => {
        state.running = false;
        this.#active--;
        if (state.again) {
          state.again = false;
          this.#wake(state);
        }
        if (this.#active === 0) this.#idle?.();
        this.#pump();
      });
    }
  }

  /** Reads and applies what the channel has for this member until there is nothing more. */
  async #drain(state: ChannelState): Promise<void> {
    try {
      for (let rounds = 0; rounds < 100 && !this.#closing; rounds++) {
        state.again = false;
        if (state.held) {
          const wait = state.held.at - Date.now();
          if (wait > 0) return this.#wakeLater(state, wait);
          const { deliveries } = state.held;
          state.held = null;
          await this.#process(state, deliveries);
          continue;
        }
        if (!(await this.#readSome(state))) return;
      }
      if (!this.#closing) state.again = true; // more to do: yield to the other channels first
    } catch (error) {
      if (this.#closing) return;
      if (/^NOGROUP/.test((error as Error).message ?? '')) state.groupReady = false; // Redis lost the stream
      this.#logger.warn({ channel: state.channel, err: error }, 'consumer read failed; retrying');
      this.#wakeLater(state, 1_000);
    }
  }

  /** One read step; resolves to whether it found anything. */
  async #readSome(state: ChannelState): Promise<boolean> {
    const { stream } = state;
    if (!state.groupReady) {
      // A new group starts at the beginning of what Redis holds ('0'), or of PostgreSQL's
      // history. The offset row is created first, from the stream's first entry read before
      // the group exists: whatever the group delivers later is at or after it (a stream's
      // head only moves forward), so no member can start the group past an undelivered event.
      // (Regression: members initialising from the first seq *they* read lost events.)
      const initial = this.options.startFrom === 'postgres' ? 0 : (await stream.firstSeq()) - 1;
      await ensureOffset(this.#router.pool, this.options.group, state.channel, initial);
      await stream.create();
      state.groupReady = true;
    }
    const count = Math.max(1, Math.min(this.options.batchSize, this.options.maxInFlight - this.#inFlight));
    if (!state.ownPendingDone) {
      // Entries this member read before it restarted: still ours, re-read them first.
      const own = await stream.read(count, '0');
      if (own.length === 0) state.ownPendingDone = true;
      else return this.#processEntries(state, own, await stream.deliveryCounts(own));
    }
    const fresh = await stream.read(count, '>');
    if (fresh.length > 0) {
      await this.#processEntries(state, fresh, null);
      // A short read emptied the stream: stop here rather than read it again; the doorbell
      // rings for anything appended meanwhile (it sets `again`).
      return fresh.length === count;
    }
    if (!state.stalled || Date.now() - state.lastClaimAt < this.options.claimIdleMs / 2) return false;
    state.lastClaimAt = Date.now();
    return this.#recover(state, count);
  }

  /**
   * The channel is stalled and nothing new came: take over entries idle in other members
   * (crashed ones), and when the group holds nothing pending at all, read what is missing
   * from replay (Redis lost or trimmed it). Removes members that are gone and hold nothing.
   */
  async #recover(state: ChannelState, count: number): Promise<boolean> {
    const { stream } = state;
    const { group, claimIdleMs } = this.options;
    const claimed = await stream.claimIdle(claimIdleMs, count);
    if (claimed.length > 0) {
      this.#metrics.claims.inc({ group, class: this.#router.channels.classOf(state.channel) }, claimed.length);
      this.#logger.info({ channel: state.channel, claimed: claimed.length }, 'claimed idle pending entries');
      return this.#processEntries(state, claimed, await stream.deliveryCounts(claimed));
    }
    for (const name of await stream.removeGoneMembers(10 * claimIdleMs)) {
      this.#logger.info({ channel: state.channel, removed: name }, 'removed a consumer that is gone and holds nothing');
    }
    if ((await stream.pendingCount()) > 0) return false; // a live member is still on it
    const applied = await readOffset(this.#router.pool, group, state.channel);
    if (applied === null && this.options.startFrom === 'redis') return false;
    const page = await this.#router.replay(state.channel, { sinceSeq: (applied ?? 0) + 1, limit: count });
    if (page.events.length === 0) {
      state.stalled = false;
      return false;
    }
    this.#logger.info(
      { channel: state.channel, from: page.events[0]!.seq, n: page.events.length },
      'applying events Redis no longer holds, from replay',
    );
    await this.#process(
      state,
      page.events.map((event) => ({ event, id: null, deliveries: 1 })),
    );
    return true;
  }

  async #processEntries(
    state: ChannelState,
    entries: StreamEntries,
    counts: Map<string, number> | null,
  ): Promise<boolean> {
    const deliveries: Delivery[] = [];
    for (const [id, fields] of entries) {
      const times = counts?.get(id) ?? 1;
      try {
        deliveries.push({ event: decodeStreamEntry(state.channel, id, fields), id, deliveries: times });
      } catch (cause) {
        // An entry the router did not write (bad JSON): it is dead-lettered in its place in
        // the channel's order, after the entries before it are applied.
        deliveries.push({ event: undecodable(state.channel, id, fields), id, deliveries: times, invalid: cause });
      }
    }
    if (deliveries.length > 0) await this.#process(state, deliveries);
    return true;
  }

  /** Applies deliveries; on a failure isolates it, then retries it later or dead-letters it. */
  async #process(state: ChannelState, deliveries: Delivery[]): Promise<void> {
    this.#inFlight += deliveries.length;
    this.#metrics.inFlight.set({ group: this.options.group }, this.#inFlight);
    try {
      try {
        await this.#applier.apply(state.channel, deliveries);
        return;
      } catch (error) {
        if (!(error instanceof DeliveryFailure) || deliveries.length === 1) throw error;
      }
      // Something in the batch failed: apply one at a time so the others still take effect.
      for (let i = 0; i < deliveries.length; i++) {
        try {
          await this.#applier.apply(state.channel, [deliveries[i]!]);
        } catch (error) {
          if (!(error instanceof DeliveryFailure)) throw error;
          return await this.#failed(state, error, deliveries.slice(i));
        }
      }
    } catch (error) {
      if (error instanceof DeliveryFailure) return await this.#failed(state, error, deliveries);
      // Infrastructure (PostgreSQL or Redis away): keep them, try again shortly.
      state.held = { deliveries, at: Date.now() + 1_000 };
      throw error;
    } finally {
      this.#inFlight -= deliveries.length;
      this.#metrics.inFlight.set({ group: this.options.group }, this.#inFlight);
    }
  }

  async #failed(state: ChannelState, failure: DeliveryFailure, rest: Delivery[]): Promise<void> {
    const d = failure.delivery;
    const cls = this.#router.channels.classOf(state.channel);
    this.#metrics.events.inc({ group: this.options.group, class: cls, outcome: 'failed' });
    if (failure.invalid || d.deliveries >= this.options.maxDeliveries) {
      await this.#applier.deadLetter(failure);
      const after = rest.filter((r) => r !== d);
      if (after.length > 0) state.held = { deliveries: after, at: 0 };
      return;
    }
    const delay = retryDelay(d.deliveries, this.options.retryBaseMs, this.options.retryMaxMs);
    this.#logger.warn(
      {
        channel: state.channel,
        seq: d.event.seq,
        event_id: d.event.event_id,
        deliveries: d.deliveries,
        retryInMs: delay,
        err: failure.cause,
      },
      'handler failed; retrying',
    );
    d.deliveries++;
    state.held = { deliveries: rest, at: Date.now() + delay };
  }

  #wakeLater(state: ChannelState, ms: number): void {
    if (state.timer || this.#closing) return;
    state.timer = setTimeout(() => {
      state.timer = null;
      this.#wake(state);
    }, ms);
    state.timer.unref?.();
  }

  #scheduleSweep(ms: number): void {
    if (this.#closing) return;
    this.#sweepTimer = setTimeout(() => void this.#sweep(), ms);
  }

  /**
   * The safety net: one query for channels whose head is past the group's offset. A channel
   * found there twice at the same offset is stalled (its events are not arriving: a dead
   * member holds them, or Redis lost them) and is woken to recover; channels that move are
   * left to their doorbells, so a busy sweep costs no reads.
   */
  async #sweep(): Promise<void> {
    try {
      const behind = await behindChannels(
        this.#router.pool,
        this.options.group,
        this.#concrete,
        this.#patterns.map(toLike),
        10_000,
      );
      const seen = new Set(behind.map((b) => b.channel));
      for (const s of this.#states.values()) {
        if (!seen.has(s.channel)) {
          s.stalled = false;
          s.sweptApplied = undefined;
        }
      }
      for (const b of behind) {
        const state = this.#track(b.channel);
        state.stalled = b.applied === null || state.sweptApplied === b.applied;
        state.sweptApplied = b.applied;
        if (state.stalled) this.#wake(state);
      }
      const redriven = await this.#applier.redrive();
      if (redriven > 0) this.#logger.info({ redriven }, 're-drove dead letters on request');
    } catch (error) {
      this.#logger.warn({ err: error, code: errorCode(error) }, 'consumer sweep failed');
    }
    this.#scheduleSweep(this.options.sweepIntervalMs);
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What can be told of an entry that is not an event, for its dead letter. */
function undecodable(channel: string, id: string, fields: string[]): RecioEvent {
  const field = (name: string): string | undefined => {
    const i = fields.indexOf(name);
    return i >= 0 && i % 2 === 0 ? fields[i + 1] : undefined;
  };
  const eventId = field('event_id');
  return {
    event_id: eventId !== undefined && UUID_RE.test(eventId) ? eventId : randomUUID(),
    channel,
    seq: Number(id.split('-')[0]),
    type: field('type') ?? 'undecodable',
    source: field('source') ?? '',
    ts: Number(field('ts')) || Date.now(),
    data: field('data') ?? null,
  };
}
