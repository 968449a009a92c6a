import { channelClass, channelMatches, isChannelPattern } from '@recio/contract';
import type { Logger } from 'pino';
import { streamKey } from '../channels.js';
import { ClosedError, errorCode } from '../errors.js';
import { matchingChannels } from '../sql/behind-channels.js';
import { ensureOffset } from '../sql/consumer-offset.js';
import { Applier } from './applier.js';
import { ChannelScheduler } from './channel-scheduler.js';
import { newChannelState, type ChannelState } from './channel-state.js';
import type { ConsumerDeps } from './consumer-deps.js';
import { ConsumerMetrics } from './consumer-metrics.js';
import { resolveConsumeOptions, type ConsumeOptions, type ResolvedConsumeOptions } from './consumer-options.js';
import { DeadLetters } from './dead-letters.js';
import { isEntryOf, rungDelivery, toDeliveries, type Delivery } from './deliveries.js';
import { Doorbell } from './doorbell.js';
import { FailurePolicy } from './failure-policy.js';
import { GroupStream } from './group-stream.js';
import { PendingCheck } from './pending-check.js';
import { toLike } from './patterns.js';
import { Recovery } from './recovery.js';
import { Sweep } from './sweep.js';

/**
 * A member of a consumer group (invariants 7–10). Reads each channel's stream with XREADGROUP when
 * its doorbell rings (pub/sub) and applies what it reads exactly once and in order per channel
 * (Applier), beginning with the event a doorbell message carries while the read is on its way
 * (#readRung); failures are retried or dead-lettered (FailurePolicy), stalled channels recovered from
 * other members and from PostgreSQL (Recovery), found in Redis (PendingCheck: a dead member's
 * entries) and by a periodic query (Sweep: what only PostgreSQL knows). Channels run in parallel,
 * each one sequentially (ChannelScheduler).
 */
export class Consumer {
  readonly options: ResolvedConsumeOptions;
  readonly #deps: ConsumerDeps;
  readonly #logger: Logger;
  readonly #metrics: ConsumerMetrics;
  readonly #abort = new AbortController();
  readonly #scheduler: ChannelScheduler;
  readonly #policy: FailurePolicy;
  readonly #applier: Applier;
  readonly #recovery: Recovery;
  readonly #sweep: Sweep;
  readonly #pendingCheck: PendingCheck;
  readonly #concrete: string[];
  readonly #patterns: string[];
  #doorbell: Doorbell | undefined;
  #inFlight = 0;
  #closing: Promise<void> | undefined;

  constructor(deps: ConsumerDeps, options: ConsumeOptions<never>) {
    this.#deps = deps;
    this.options = resolveConsumeOptions(options);
    for (const c of this.options.channels) deps.channels.validatePattern(c);
    this.#concrete = this.options.channels.filter((c) => !isChannelPattern(c));
    this.#patterns = this.options.channels.filter(isChannelPattern);
    this.#logger = deps.logger.child({ group: this.options.group, consumer: this.options.consumer });
    this.#metrics = new ConsumerMetrics(deps.registry);
    const { group, consumer } = this.options;
    this.#metrics.declare(group, new Set(this.options.channels.map(channelClass)));
    this.#scheduler = new ChannelScheduler({
      concurrency: this.options.concurrency,
      hasCapacity: () => this.#inFlight < this.options.maxInFlight,
      drain: (state) => this.#drain(state),
      newState: (channel) => newChannelState(channel, new GroupStream(deps.redis, streamKey(channel), group, consumer)),
    });
    const applier = new Applier(deps, this.options, this.#metrics, this.#logger, this.#abort.signal);
    this.#applier = applier;
    const deadLetters = new DeadLetters(deps, applier, this.options, this.#metrics, this.#logger);
    this.#policy = new FailurePolicy(applier, deadLetters, this.options, this.#metrics, this.#logger);
    this.#recovery = new Recovery(deps, this.options, this.#metrics, this.#logger);
    const channels = { concrete: this.#concrete, patterns: this.#patterns };
    this.#sweep = new Sweep(deps, this.options, channels, this.#scheduler, deadLetters, this.#metrics, this.#logger);
    this.#pendingCheck = new PendingCheck({
      claimIdleMs: this.options.claimIdleMs,
      scheduler: this.#scheduler,
      onCheck: () => this.#metrics.sweeps.inc({ group, kind: 'redis' }),
      logger: this.#logger,
    });
  }

  /** Events read and not yet finished (applied, retried later or dead-lettered). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The channels this member knows of (concrete ones and those matching its patterns so far). */
  get channels(): string[] {
    return this.#scheduler.channels;
  }

  /** Subscribes, learns the channels matching its patterns, and starts reading. */
  async start(): Promise<void> {
    if (this.#closing) throw new ClosedError('consumer');
    for (const c of this.#concrete) this.#scheduler.track(c);
    for (const c of await matchingChannels(this.#deps.pool, this.#patterns.map(toLike))) this.#scheduler.track(c);
    this.#doorbell = new Doorbell(
      this.#deps.redis,
      this.#concrete,
      this.#patterns,
      (channel, message) => this.#ring(channel, message),
      () => this.#rangAll(),
      this.#logger,
    );
    await this.#doorbell.start();
    this.#scheduler.wakeAll();
    this.#sweep.start();
    this.#pendingCheck.start();
  }

  /**
   * Stops reading, lets handlers under way finish within `deadlineMs` (then aborts their
   * signal), and leaves every unacknowledged entry in the PEL for the group. Idempotent.
   */
  close(deadlineMs = 10_000): Promise<void> {
    this.#closing ??= (async () => {
      this.#sweep.stop();
      this.#pendingCheck.stop();
      this.#doorbell?.close();
      const timer = setTimeout(() => this.#abort.abort(), deadlineMs);
      await this.#scheduler.stop();
      await this.#applier.flushSkips(); // the offset moves still waiting (skipDelayMs)
      clearTimeout(timer);
      this.#abort.abort();
      this.#metrics.inFlight.set({ group: this.options.group }, 0);
    })();
    return this.#closing;
  }

  #ring(channel: string, message: string): void {
    const known = this.#scheduler.get(channel);
    if (known) {
      known.unsettled = true;
      known.rung ??= message;
      return this.#scheduler.wake(known);
    }
    if (this.#patterns.some((p) => channelMatches(p, channel))) {
      try {
        this.#deps.channels.validate(channel);
      } catch {
        return; // someone published on a name the router would never create
      }
      this.#logger.info({ channel }, 'pattern subscription picked up a new channel');
      this.#scheduler.wake(this.#scheduler.track(channel));
    }
  }

  /** The doorbell reconnected: whatever rang meanwhile was missed, so every channel is looked at. */
  #rangAll(): void {
    for (const state of this.#scheduler.states()) state.unsettled = true;
    this.#scheduler.wakeAll();
  }

  /** Reads and applies what the channel has for this member until there is nothing more. */
  async #drain(state: ChannelState): Promise<void> {
    try {
      for (let rounds = 0; rounds < 100 && !this.#closing; rounds++) {
        state.again = false;
        if (state.held) {
          const wait = state.held.at - Date.now();
          if (wait > 0) return this.#scheduler.wakeLater(state, wait);
          const { deliveries } = state.held;
          state.held = null;
          await this.#apply(state, deliveries);
          continue;
        }
        // (A run the failure policy held for a retry is woken by its own timer, on the next round.)
        if (!(await this.#readSome(state)) && !state.held) return;
      }
      if (!this.#closing) state.again = true; // more to do: yield to the other channels first
    } catch (error) {
      if (this.#closing) return;
      if (errorCode(error) === 'NOGROUP') state.groupReady = false; // Redis lost the stream
      this.#logger.warn({ channel: state.channel, err: error }, 'consumer read failed; retrying');
      this.#scheduler.wakeLater(state, 1_000);
    }
  }

  /** One read step; resolves to whether it found anything. */
  async #readSome(state: ChannelState): Promise<boolean> {
    const { stream, channel } = state;
    const { rung } = state;
    state.rung = null; // this read answers for whatever rang before it
    if (!state.groupReady && this.#deps.channels.isLatest(channel)) {
      await stream.createAtLatest(); // no offset: latest-value channels are at least once (invariant 14)
      state.groupReady = true;
    } else if (!state.groupReady) {
      // A new group starts at the beginning of what Redis holds ('0'), or of PostgreSQL's
      // history. The offset row is created first, from the stream's first entry read before
      // the group exists: whatever the group delivers later is at or after it (a stream's
      // head only moves forward), so no member can start the group past an undelivered event.
      // (Regression: members initialising from the first seq *they* read lost events.)
      const initial = this.options.startFrom === 'postgres' ? 0 : (await stream.firstSeq()) - 1;
      await ensureOffset(this.#deps.pool, this.options.group, channel, initial);
      await stream.create();
      state.groupReady = true;
    }
    const count = Math.max(1, Math.min(this.options.batchSize, this.options.maxInFlight - this.#inFlight));
    if (!state.ownPendingDone) {
      // Entries this member read before it restarted: still ours, re-read them first.
      const own = await stream.read(count, '0');
      if (own.length === 0) state.ownPendingDone = true;
      else {
        await this.#apply(state, toDeliveries(channel, own, await stream.deliveryCounts(own)));
        return true;
      }
    }
    const early = rung === null || state.claimable ? null : rungDelivery(channel, rung);
    if (early !== null && this.#applier.follows(channel, early.event.seq)) return this.#readRung(state, early, count);
    const fresh = await stream.read(count, '>');
    if (fresh.length > 0) {
      // Events arrive: whatever a sweep saw, the channel is not stalled (recovering it now would
      // only read again what is being applied, and apply it as duplicates).
      state.stalled = false;
      await this.#apply(state, toDeliveries(channel, fresh, null));
      // A short read emptied the stream: stop here rather than read it again; the doorbell
      // rings for anything appended meanwhile (it sets `again`).
      return fresh.length === count;
    }
    if (state.claimable) {
      // PendingCheck found entries idle past claimIdleMs (a dead member's): take them over.
      const claimed = await this.#recovery.claim(state, count);
      state.claimable = claimed.length === count; // a full batch: there may be more
      if (claimed.length > 0) {
        await this.#apply(state, claimed);
        return true;
      }
    }
    if (!state.stalled || Date.now() - state.lastClaimAt < this.options.claimIdleMs / 2) return false;
    state.lastClaimAt = Date.now();
    const recovered = await this.#recovery.recover(state, count);
    if (recovered.length === 0) return false;
    await this.#apply(state, recovered);
    return true;
  }

  /**
   * Reads the channel while applying the event the doorbell's message carries, the one that follows
   * where this member left the channel: its transaction begins beside the read (with effects
   * 'transaction' its handler runs too; otherwise the offset lock goes with BEGIN and the handler waits
   * for the read) and commits only if the read delivered that very entry to this member. Otherwise
   * (another member read it, the read found other entries first, or no append sent the message) it
   * rolls back, and what the read brought is applied as any read is. One round trip sooner for the
   * handler, none more for anyone. Resolves to whether the read was a full batch.
   */
  async #readRung(state: ChannelState, early: Delivery, count: number): Promise<boolean> {
    // The read's answer: whether it delivered the early run's entry to this member, and what else it
    // brought (all of it, if not), counted in flight from then on (backpressure).
    const answer = state.stream.read(count, '>').then((entries) => {
      const mine = isEntryOf(entries[0], early);
      const rest = toDeliveries(state.channel, mine ? entries.slice(1) : entries, null);
      this.#countInFlight(rest.length);
      return { entries, mine, rest };
    });
    const owned = answer.then(
      ({ mine }) => mine,
      () => false,
    );
    let failed: { error: unknown } | null = null;
    try {
      await this.#apply(state, [early], owned);
    } catch (error) {
      failed = { error }; // the failure policy holds the run (it was this member's): the read's rest waits behind it
    }
    const { entries, mine, rest } = await answer; // a failed read: the run was not this member's, and the drain retries
    this.#countInFlight(-rest.length); // (counted again by #apply, or held)
    this.#metrics.earlyRuns.inc({ group: this.options.group, outcome: mine ? 'owned' : 'not_owned' });
    if (entries.length > 0) state.stalled = false; // as in #readSome
    if (state.held) state.held.deliveries.push(...rest);
    else if (rest.length > 0 && failed === null) await this.#apply(state, rest);
    if (failed !== null) throw failed.error;
    return entries.length === count;
  }

  /** Applies deliveries through the failure policy, counting them in flight meanwhile (backpressure). */
  async #apply(state: ChannelState, deliveries: Delivery[], owned: Promise<boolean> | null = null): Promise<void> {
    this.#countInFlight(deliveries.length);
    try {
      await this.#policy.apply(state, deliveries, owned);
    } finally {
      this.#countInFlight(-deliveries.length);
    }
  }

  #countInFlight(change: number): void {
    this.#inFlight += change;
    this.#metrics.inFlight.set({ group: this.options.group }, this.#inFlight);
  }
}
