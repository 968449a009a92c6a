import { entryId } from '@recio/contract';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { streamKey, type Channels } from './channels.js';
import { errorCode } from './errors.js';
import type { CommittedEvent } from './event.js';
import type { RouterMetrics } from './metrics.js';
import type { RedisClient } from './redis/connection.js';
import { ANY_HOLE, type AppendReply, type RouterScripts } from './redis/scripts.js';
import { headOf } from './sql/channel-heads.js';
import { readEvents } from './sql/read-events.js';

/** What repairing a stream ahead of PostgreSQL did (Propagator.repairAhead). */
export interface AheadRepair {
  /** The channel's committed head. */
  head: number;
  /** Entries removed from above it. */
  removed: number;
  /** Consumer groups moved back to the stream's real end. */
  groups: number;
  /** Events appended from event_log afterwards. */
  appended: number;
  /** The stream's last seq afterwards. */
  last: number;
}

/** Who appended: the publisher right after its commit, or the relay converging. */
export type AppendPath = 'publisher' | 'relay' | 'latest';

/** What the propagator needs; the router owns all of it. */
export interface PropagatorDeps {
  pool: Pool;
  redis: RedisClient;
  scripts: RouterScripts;
  channels: Channels;
  metrics: RouterMetrics;
  logger: Logger;
  /** Pub/sub channel that hears a channel's name when its stream is created. */
  announceChannel: string;
  /** Events per append script call and per event_log read. */
  batchSize: number;
  /** Largest gap the publisher fills itself; larger ones are left to the relay. */
  maxGapFill: number;
}

/**
 * Copies committed events from PostgreSQL into Redis streams. The only writer of streams:
 * the publisher's fast path and the relay both go through here, so the compare-and-set
 * rules of append.lua (invariant 4) and the tail-only re-seed (invariant 5) hold in one place.
 */
export class Propagator {
  readonly #d: PropagatorDeps;

  constructor(deps: PropagatorDeps) {
    this.#d = deps;
  }

  /**
   * The fast path, right after a commit: appends each channel's run of events, filling a
   * small gap from event_log itself. Never throws: whatever fails here the relay repairs.
   * Resolves to the number of channels whose events are now in Redis.
   */
  async afterCommit(events: readonly CommittedEvent[], committedAtMs: number): Promise<number> {
    const runs = new Map<string, CommittedEvent[]>();
    for (const e of events) {
      const run = runs.get(e.channel);
      if (run) run.push(e);
      else runs.set(e.channel, [e]);
    }
    const results = await Promise.all(
      [...runs.values()].map((run) =>
        this.#appendAfterCommit(
          run.sort((a, b) => a.seq - b.seq),
          committedAtMs,
        ),
      ),
    );
    return results.filter(Boolean).length;
  }

  /**
   * Appends one latest-value event (its seq is its version; any hole allowed). Resolves to whether it
   * was added (false: the stream already ends at or past it). Throws when Redis fails: nothing else
   * holds the event, so the publisher decides.
   */
  async appendLatest(event: CommittedEvent): Promise<boolean> {
    try {
      const reply = await this.#append(event.channel, [event], ANY_HOLE, 'latest');
      if (reply.status === 'appended') {
        const cls = this.#d.channels.classOf(event.channel);
        this.#d.metrics.publishLatency.observe(
          { class: cls, path: 'latest' },
          Math.max(0, Date.now() - event.ts) / 1000,
        );
      }
      return reply.status === 'appended';
    } catch (error) {
      this.#d.metrics.redisErrors.inc({ op: 'append', code: errorCode(error) });
      throw error;
    }
  }

  async #appendAfterCommit(run: CommittedEvent[], committedAtMs: number): Promise<boolean> {
    const channel = run[0]!.channel;
    const cls = this.#d.channels.classOf(channel);
    try {
      let reply = await this.#append(channel, run, -1, 'publisher');
      if (reply.status === 'gap') {
        // Another publisher's commit on this channel has not been appended yet (or Redis lost
        // data). Its events are committed, so fill the range from event_log, in order.
        const first = run[0]!.seq;
        const missing = first - 1 - reply.last;
        if (missing > this.#d.maxGapFill) return false; // the relay re-seeds only the tail
        const fill = await readEvents(this.#d.pool, channel, reply.last + 1, first - 1, missing);
        if (fill.length !== missing) return false; // retention deleted part of it: the relay decides
        reply = await this.#append(channel, [...fill, ...run], -1, 'publisher');
        if (reply.status === 'gap') return false;
      }
      this.#d.metrics.publishLatency.observe({ class: cls, path: 'publisher' }, (Date.now() - committedAtMs) / 1000);
      return true;
    } catch (error) {
      this.#d.metrics.redisErrors.inc({ op: 'append', code: errorCode(error) });
      this.#d.logger.warn(
        { channel, seq: run[0]!.seq, err: error },
        'append after commit failed; the relay will propagate',
      );
      return false;
    }
  }

  /**
   * Whether `channel`'s stream holds an entry above what PostgreSQL committed: its tail is read
   * first, the head after it (whatever the router appended was committed before it was appended,
   * so a head read afterwards covers it). A caller's older view of the two may only look ahead.
   */
  async aheadOf(channel: string): Promise<{ head: number; top: string } | null> {
    const top = await this.#d.scripts.topId(streamKey(channel));
    if (top === null) return null;
    const head = await headOf(this.#d.pool, channel);
    return isAfter(top, entryId(head)) ? { head, top } : null;
  }

  /**
   * Repairs a stream whose tail is ahead of its channel's committed head (invariant 13): removes the
   * entries above the head, moves back the groups delivered past the real end, then appends what is
   * missing up to the head. The trim happens only while the tail is still the one found ahead, so a
   * stream that merely moved on is never cut. Null when the stream is not ahead (or moved meanwhile).
   */
  async repairAhead(channel: string): Promise<AheadRepair | null> {
    const found = await this.aheadOf(channel);
    if (!found) return null;
    const trimmed = await this.#d.scripts.trimAhead(streamKey(channel), found.head, found.top);
    if (!trimmed) return null;
    this.#d.metrics.entriesAhead.inc({ class: this.#d.channels.classOf(channel) }, trimmed.removed);
    this.#d.logger.error(
      { channel, head: found.head, top: found.top, removed: trimmed.removed, groups: trimmed.groups },
      'stream held entries above the committed head (not written by the router); removed',
    );
    const last = await this.converge(channel, found.head, trimmed.last);
    return { head: found.head, removed: trimmed.removed, groups: trimmed.groups, last, appended: last - trimmed.last };
  }

  /**
   * Brings `channel`'s stream up to `head`, given the stream's last seq as read by the caller.
   * When the stream is further behind than its MAXLEN (a flushed or failed-over Redis, a long
   * outage), only the tail that the stream would hold anyway is appended (invariant 5).
   * Returns the stream's last seq afterwards. Throws on Redis or PostgreSQL errors.
   */
  async converge(channel: string, head: number, streamLast: number): Promise<number> {
    const { maxLen } = this.#d.channels.policyOf(channel);
    let known = streamLast;
    for (let attempts = 0; known < head && attempts < 1_000; attempts++) {
      const from = Math.max(known + 1, head - maxLen + 1, 1);
      const rows = await readEvents(this.#d.pool, channel, from, head, this.#d.batchSize);
      if (rows.length === 0) break; // retention deleted the whole range: nothing left to copy
      const run = contiguousPrefix(rows);
      // A hole after `known` is allowed only for events no consumer can get from Redis
      // anyway: older than the tail, or deleted by retention.
      const reply = await this.#append(channel, run, known, 'relay');
      if (reply.status === 'appended') {
        const now = Date.now();
        const cls = this.#d.channels.classOf(channel);
        for (const e of run)
          if (e.seq > known)
            this.#d.metrics.publishLatency.observe({ class: cls, path: 'relay' }, Math.max(0, now - e.ts) / 1000);
      }
      known = reply.last; // on 'gap' someone else moved the stream: start over from its end
    }
    return known;
  }

  async #append(
    channel: string,
    run: readonly CommittedEvent[],
    jumpFrom: number,
    path: AppendPath,
  ): Promise<AppendReply> {
    const policy = this.#d.channels.policyOf(channel);
    const reply = await this.#d.scripts.append(streamKey(channel), channel, run[0]!.seq, run, {
      jumpFrom,
      maxLen: policy.maxLen,
      announceChannel: this.#d.announceChannel,
    });
    this.#d.metrics.appendOutcomes.inc({ class: this.#d.channels.classOf(channel), path, outcome: reply.status });
    return reply;
  }
}

/** The leading run of rows whose seqs follow each other (retention can leave holes). */
function contiguousPrefix(rows: CommittedEvent[]): CommittedEvent[] {
  let end = 1;
  while (end < rows.length && rows[end]!.seq === rows[end - 1]!.seq + 1) end++;
  return end === rows.length ? rows : rows.slice(0, end);
}

/** Whether stream id `a` comes after `b` (`<ms>-<seq>`, compared as numbers). */
function isAfter(a: string, b: string): boolean {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am > bm || (am === bm && as > bs);
}
