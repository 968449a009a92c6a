import { setTimeout as sleep } from 'node:timers/promises';
import {
  CHANNEL_CLASS_NAMES,
  HEALTH_CHANNEL,
  RELAY_MARKER_KEY,
  STREAM_REPAIRED_NOTICE,
  type StreamRepairedNotice,
} from '@recio/contract';
import { compareAll, streamEnds, type ComparedChannels } from './compare.js';
import { ClosedError, errorCode, isKeyRefusal } from './errors.js';
import { LEADER_DEAD_HOLDER_SECONDS, LEADER_KEYS, LeaderLock } from './leader-lock.js';
import { positiveInt, stripUndefined } from './options.js';
import type { AheadRepair } from './propagator.js';
import type { EventRouter } from './router.js';
import { changedHeads } from './sql/channel-heads.js';
import { deleteExpired } from './sql/delete-expired.js';

/**
 * What the relay uses of its router (an EventRouter is one): connections, the propagator, metrics,
 * logs, and publish (a repaired stream is announced on system:health).
 */
export type RelayDeps = Pick<
  EventRouter,
  'pool' | 'redis' | 'scripts' | 'propagator' | 'channels' | 'metrics' | 'logger' | 'publish' | 'registry' | 'options'
>;

/** Options of a {@link Relay}. */
export interface RelayOptions {
  /** PostgreSQL connection string for the leader lock's own connection. */
  databaseUrl: string;
  /**
   * Pause between sweeps of recently changed channels: how long a commit whose publisher died before
   * appending it waits at most (publishers append at once themselves). @defaultValue 5000
   */
  sweepIntervalMs?: number;
  /** Pause between full comparisons of every channel. @defaultValue 60000 */
  fullSweepIntervalMs?: number;
  /** How far back each incremental sweep looks again (covers commits that landed late). @defaultValue 3000 */
  overlapMs?: number;
  /** Changes younger than this are left to their publisher's fast path for now. @defaultValue 200 */
  graceMs?: number;
  /** Pause between attempts to become leader. @defaultValue 1000 */
  leaderPollMs?: number;
  /**
   * Seconds after which PostgreSQL hands the lead of a relay cut off by the network to another; the
   * leader checks its lock's connection every quarter of it and stops sweeping once it does not
   * answer within half of it (LeaderLock). @defaultValue 10
   */
  deadHolderSeconds?: number;
  /** Pause between retention runs (deleting expired events). @defaultValue 3600000 */
  retentionIntervalMs?: number;
  /** Channels converged at once. @defaultValue 16 */
  concurrency?: number;
  /** Channels per page of a full comparison. @defaultValue 1000 */
  pageSize?: number;
}

/** What one sweep found and did. */
export interface SweepReport {
  kind: 'full' | 'incremental';
  channels: number;
  behind: number;
  appended: number;
  /** Channels whose stream held entries above their committed head, repaired. */
  ahead: number;
  /**
   * Channels Redis refused to read or append to (an error reply: a key that is not a stream, a
   * stream whose last id was raised past what PostgreSQL committed). The others converge all the
   * same; these are tried again on later sweeps, and their events stay counted as unpropagated
   * until they converge.
   */
  failed: number;
}

/** The relay's defaults (RelayOptions); `recio relay` takes its own from here too. */
export const RELAY_DEFAULTS = {
  sweepIntervalMs: 5_000,
  fullSweepIntervalMs: 60_000,
  overlapMs: 3_000,
  graceMs: 200,
  leaderPollMs: 1_000,
  deadHolderSeconds: LEADER_DEAD_HOLDER_SECONDS,
  retentionIntervalMs: 3_600_000,
  concurrency: 16,
  pageSize: 1_000,
};

// A marker key the relay keeps in Redis: when it is gone, Redis lost data (flush, failover
// to an empty replica) even if no connection dropped, and a full comparison runs at once.
const MARKER_KEY = RELAY_MARKER_KEY.key();
const INCREMENTAL_LIMIT = 10_000;

/**
 * Converges Redis to PostgreSQL (invariant 5). One active instance (LeaderLock) compares
 * channel heads with stream ends and appends what is missing, in order. Cheap in steady
 * state: a full comparison at start, after a Redis reconnect or data loss and every
 * `fullSweepIntervalMs`; in between only channels changed in the last few seconds.
 * Also enforces per-class retention of event_log (invariant 6).
 */
export class Relay {
  readonly #router: RelayDeps;
  readonly #o: Required<RelayOptions>;
  readonly #lock: LeaderLock;
  readonly #abort = new AbortController();
  // Channels behind as last seen, for the unpropagated gauge.
  readonly #lag = new Map<string, number>();
  // Heads confirmed in Redis within the overlap window, so they are not checked again.
  readonly #confirmed = new Map<string, number>();
  // Channels Redis refused, with their head and the reply's code: tried again on every sweep.
  readonly #failing = new Map<string, { head: number; code: string }>();
  #cursor = new Date(0);
  // The last incremental query was cut at its row limit: continue from its end, no overlap.
  #truncated = false;
  #needFull = true;
  #lastFull = 0;
  #lastRetention = 0;
  #loop: Promise<void> | undefined;
  /** Whether this instance sweeps (it held the lock when it last asked). */
  #leading = false;
  #closing: Promise<void> | undefined;
  #onReady = (): void => {
    this.#needFull = true;
  };

  constructor(router: RelayDeps, options: RelayOptions) {
    this.#router = router;
    this.#o = { ...RELAY_DEFAULTS, ...stripUndefined(options) } as Required<RelayOptions>;
    for (const key of Object.keys(RELAY_DEFAULTS) as (keyof typeof RELAY_DEFAULTS)[]) positiveInt(key, this.#o[key]);
    this.#lock = new LeaderLock({
      databaseUrl: this.#o.databaseUrl,
      key: LEADER_KEYS.relay,
      logger: router.logger,
      deadHolderSeconds: this.#o.deadHolderSeconds,
      statements: { registry: router.registry, source: router.options.source },
    });
    // What the relay repairs starts at 0 for every class: "none" on a dashboard, and the first repair
    // is an increase (a series born at 1 has none).
    for (const cls of CHANNEL_CLASS_NAMES) router.metrics.entriesAhead.inc({ class: cls }, 0);
  }

  /** True while this instance is the active relay. */
  get isLeader(): boolean {
    return this.#lock.held;
  }

  /** Starts the loop: wait for leadership, then sweep until closed. */
  start(): void {
    if (this.#closing) throw new ClosedError('relay');
    if (this.#loop) return;
    // Every (re)connection may follow a restart or failover that lost data.
    this.#router.redis.on('ready', this.#onReady);
    this.#loop = this.#run();
  }

  /** Resolves once this instance leads, or rejects after `timeoutMs`. */
  async waitUntilLeader(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#lock.held) {
      if (this.#closing) throw new ClosedError('relay');
      if (Date.now() > deadline) throw new Error(`relay did not become leader within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Compares every channel and converges the ones behind. Also used on demand (tests, CLI). */
  async fullSweep(): Promise<SweepReport> {
    const report: SweepReport = { kind: 'full', channels: 0, behind: 0, appended: 0, ahead: 0, failed: 0 };
    // Everything committed before now is compared below; incremental sweeps go on from here
    // (the database's clock, the one updated_at is written with).
    const { rows } = await this.#router.pool.query<{ now: Date }>('SELECT clock_timestamp() AS now');
    this.#cursor = rows[0]!.now;
    this.#truncated = false;
    this.#lag.clear();
    try {
      for await (const page of compareAll(this.#router.pool, this.#router.scripts, this.#o.pageSize)) {
        await this.#convergeAll(page, report);
      }
    } finally {
      this.#publishLag(); // what was seen behind, even when Redis failed half-way
    }
    this.#router.metrics.relaySweeps.inc({ kind: 'full' });
    return report;
  }

  /** Converges the channels changed since the last sweep (minus the overlap). */
  async incrementalSweep(): Promise<SweepReport> {
    const report: SweepReport = { kind: 'incremental', channels: 0, behind: 0, appended: 0, ahead: 0, failed: 0 };
    const since = new Date(this.#cursor.getTime() - (this.#truncated ? 0 : this.#o.overlapMs));
    const { heads, newest } = await changedHeads(this.#router.pool, since, this.#o.graceMs, INCREMENTAL_LIMIT);
    if (newest) this.#cursor = newest;
    this.#truncated = heads.length === INCREMENTAL_LIMIT;
    const unconfirmed = heads.filter((h) => this.#confirmed.get(h.channel) !== h.last_seq);
    // Forget confirmations older than the window: they will not be returned again.
    const inWindow = new Set(heads.map((h) => h.channel));
    for (const channel of this.#confirmed.keys()) if (!inWindow.has(channel)) this.#confirmed.delete(channel);
    // Channels Redis refused are tried again, changed or not (their heads as last seen otherwise):
    // `concurrency` of them a sweep, those tried longest ago first (#fail puts a channel last), so
    // a refusal of every key (a script's bug, say) costs a bounded amount of work per sweep.
    let retries = 0;
    for (const [channel, { head }] of this.#failing) {
      if (retries === this.#o.concurrency) break;
      if (inWindow.has(channel)) continue;
      unconfirmed.push({ channel, last_seq: head });
      retries++;
    }
    try {
      if (unconfirmed.length > 0) await this.#convergeAll(await streamEnds(this.#router.scripts, unconfirmed), report);
    } finally {
      this.#publishLag();
    }
    this.#router.metrics.relaySweeps.inc({ kind: 'incremental' });
    return report;
  }

  /** Deletes events older than their class's retention, in batches. Returns how many. */
  async enforceRetention(now = new Date()): Promise<number> {
    let total = 0;
    for (const [cls, policy] of Object.entries(this.#router.channels.classes)) {
      if (policy.retentionDays === null) continue;
      const cutoff = new Date(now.getTime() - policy.retentionDays * 86_400_000);
      for (;;) {
        if (this.#abort.signal.aborted) return total;
        const deleted = await deleteExpired(this.#router.pool, cls, cutoff, 5_000);
        total += deleted;
        this.#router.metrics.retentionDeleted.inc({ class: cls }, deleted);
        if (deleted < 5_000) break;
      }
    }
    return total;
  }

  /** Stops sweeping and releases leadership. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abort.abort();
      this.#router.redis.off('ready', this.#onReady);
      await this.#loop?.catch(() => undefined);
      await this.#lock.release();
      this.#lead(false);
    })();
    return this.#closing;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        // A leader asks too: the lock checks its connection still answers (LeaderLock), so a relay
        // cut off from PostgreSQL stops sweeping before another can take the lead.
        this.#lead(await this.#lock.tryAcquire());
        if (!this.#leading) {
          await sleep(this.#o.leaderPollMs, undefined, { signal });
          continue;
        }
        await this.#sweepOnce();
      } catch (error) {
        if (signal.aborted) break;
        this.#needFull = true;
        this.#lead(this.#lock.held); // the lock's connection may be what failed
        this.#router.metrics.redisErrors.inc({ op: 'relay', code: errorCode(error) });
        this.#router.logger.warn({ err: error }, 'relay sweep failed; retrying');
      }
      await sleep(this.#o.sweepIntervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  async #sweepOnce(): Promise<void> {
    const now = Date.now();
    // Retention needs PostgreSQL only: it goes on while Redis is away.
    if (now - this.#lastRetention >= this.#o.retentionIntervalMs) {
      this.#lastRetention = now;
      const deleted = await this.enforceRetention();
      if (deleted > 0) this.#router.logger.info({ deleted }, 'relay: retention deleted expired events');
    }
    // Redis away (or not yet connected): nothing to compare with; a full sweep follows its return.
    if (this.#router.redis.status !== 'ready') {
      this.#needFull = true;
      return;
    }
    if (!this.#needFull && (await this.#router.redis.exists(MARKER_KEY)) === 0) {
      this.#router.logger.warn('relay: Redis lost its data; comparing every channel');
      this.#needFull = true;
    }
    if (this.#needFull || now - this.#lastFull >= this.#o.fullSweepIntervalMs) {
      this.#needFull = false; // set first: a reconnect during the sweep asks for another
      const report = await this.#router.redis.set(MARKER_KEY, String(now)).then(() => this.fullSweep());
      this.#lastFull = now;
      if (report.behind > 0) this.#router.logger.info(report, 'relay: full sweep repaired channels');
    } else {
      const report = await this.incrementalSweep();
      if (report.behind > 0) this.#router.logger.info(report, 'relay: incremental sweep repaired channels');
    }
  }

  async #convergeAll(compared: ComparedChannels, report: SweepReport): Promise<void> {
    // Latest-value streams follow no PostgreSQL head (invariant 14); a head left from before a
    // class became one must not make its stream look "ahead" and be trimmed.
    const exactlyOnce = <T extends { channel: string }>(xs: readonly T[]): T[] =>
      xs.filter((x) => {
        if (!this.#router.channels.isLatest(x.channel)) return true;
        this.#failing.delete(x.channel); // no longer the relay's to converge
        return false;
      });
    const states = exactlyOnce(compared.states);
    const unread = exactlyOnce(compared.unread);
    report.channels += states.length + unread.length;
    // None of an unreadable stream's events can be read from Redis: all are counted behind.
    for (const u of unread) this.#fail(u.channel, u.head, u.head, u.error, report);
    const work = states.filter((s) => s.last !== s.head);
    for (const s of states) {
      if (s.last !== s.head) continue;
      this.#settle(s.channel, s.head);
      this.#accepted(s.channel);
    }
    report.behind += work.filter((s) => s.last < s.head).length;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < work.length && !this.#abort.signal.aborted) {
        const s = work[next++]!;
        let last: number;
        try {
          if (s.last > s.head) {
            // Not the router's writing, unless the head read before the stream is just old: the
            // propagator checks again, head after tail, and trims only what PostgreSQL never committed.
            const repaired = await this.#router.propagator.repairAhead(s.channel);
            if (!repaired) continue; // the stream moved on meanwhile: the next sweep compares again
            report.ahead += 1;
            report.appended += repaired.appended;
            await this.#announceRepair(s.channel, repaired);
            last = repaired.last;
          } else {
            this.#lag.set(s.channel, s.head - s.last);
            last = await this.#router.propagator.converge(s.channel, s.head, s.last);
            report.appended += Math.max(0, last - s.last);
          }
        } catch (error) {
          // Redis refused this channel: the others go on. Anything else (Redis or PostgreSQL
          // away) ends the sweep, as it would fail for every channel.
          if (!isKeyRefusal(error)) throw error;
          this.#fail(s.channel, s.head, Math.max(0, s.head - s.last), error, report);
          continue;
        }
        this.#accepted(s.channel);
        if (last >= s.head) this.#settle(s.channel, s.head);
        else this.#lag.set(s.channel, s.head - last);
      }
    };
    // Every worker finishes before the sweep ends (none runs on into the next sweep).
    const results = await Promise.allSettled(
      Array.from({ length: Math.min(this.#o.concurrency, work.length) }, worker),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  // The health event that names the channel (a committed event: it survives this relay).
  async #announceRepair(channel: string, repaired: AheadRepair): Promise<void> {
    const notice: StreamRepairedNotice = {
      channel,
      head: repaired.head,
      removed: repaired.removed,
      groupsReset: repaired.groups,
    };
    await this.#router
      .publish(HEALTH_CHANNEL, STREAM_REPAIRED_NOTICE, notice)
      .catch((err: unknown) => this.#router.logger.warn({ err, channel }, 'relay: stream repair notice not published'));
  }

  // Becoming leader compares every channel; ceasing to be forgets what this instance saw, so its
  // gauges do not keep an alert firing about channels the new leader converges.
  #lead(leading: boolean): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    this.#router.metrics.relayLeader.set(leading ? 1 : 0);
    if (leading) {
      this.#router.logger.info('relay: leader');
      this.#needFull = true;
      return;
    }
    if (!this.#abort.signal.aborted) this.#router.logger.warn('relay: leadership lost');
    this.#lag.clear();
    this.#failing.clear();
    this.#confirmed.clear();
    this.#publishLag();
  }

  #settle(channel: string, head: number): void {
    this.#lag.delete(channel);
    this.#confirmed.set(channel, head);
  }

  // A channel read and converged without a refusal (even if retention left it short of its head).
  #accepted(channel: string): void {
    if (this.#failing.delete(channel)) this.#router.logger.info({ channel }, 'relay: Redis accepts this channel again');
  }

  // A channel Redis refused: counted, logged when it starts failing (or fails differently), and
  // kept to be tried again on the next sweep.
  #fail(channel: string, head: number, behind: number, error: Error, report: SweepReport): void {
    const code = errorCode(error);
    report.failed += 1;
    this.#lag.set(channel, behind);
    this.#confirmed.delete(channel);
    this.#router.metrics.redisErrors.inc({ op: 'relay', code });
    if (this.#failing.get(channel)?.code !== code)
      this.#router.logger.warn(
        { err: error, channel, head },
        'relay: Redis refuses this channel; the others go on, and it is tried again every sweep',
      );
    this.#failing.delete(channel); // (set again last: tried again after the others)
    this.#failing.set(channel, { head, code });
  }

  #publishLag(): void {
    const byClass = new Map<string, number>(Object.keys(this.#router.channels.classes).map((c) => [c, 0]));
    for (const [channel, lag] of this.#lag) {
      const cls = this.#router.channels.classOf(channel);
      byClass.set(cls, (byClass.get(cls) ?? 0) + lag);
    }
    for (const [cls, lag] of byClass) this.#router.metrics.unpropagated.set({ class: cls }, lag);
  }
}
