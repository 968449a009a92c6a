import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { streamKey, type Channels } from './channels.js';
import { InvalidReplayError, ReplayExpiredError, errorCode } from './errors.js';
import { entryId, seqOfEntryId } from '@recio/contract';
import { decodeStreamEntry, toRecioEvent, type RecioEvent } from './event.js';
import type { RouterMetrics } from './metrics.js';
import type { RedisClient } from './redis/connection.js';
import { headOf } from './sql/channel-heads.js';
import type { Queryable } from './sql/queryable.js';
import { readEvents } from './sql/read-events.js';
import { earliestSeq, firstSeqSince } from './sql/seq-bounds.js';

/** Where a replay starts: after a known seq, or at a time. */
export interface ReplayOptions {
  /** First seq to return (inclusive). Exactly one of sinceSeq and sinceTime. */
  sinceSeq?: number;
  /** Return events committed at or after this time. */
  sinceTime?: Date;
  /** Page size. @defaultValue 100 */
  limit?: number;
}

/** One page of a channel's history, in seq order. */
export interface ReplayPage {
  events: RecioEvent[];
  /** The sinceSeq of the next page. */
  next: number;
  /** The channel's last committed seq when the page was read. */
  head: number;
  /** True when events after this page were already committed. */
  hasMore: boolean;
}

/** The largest page a replay returns. */
export const MAX_REPLAY_LIMIT = 10_000;

const DAY_MS = 86_400_000;

/** Entries read from a latest-value stream per command. */
const LATEST_PAGE = 1_000;

/** A stream entry as an event, or null when the router did not write it (not an event of the channel). */
function decodedOrNull(channel: string, id: string, fields: string[]): RecioEvent | null {
  try {
    return decodeStreamEntry(channel, id, fields);
  } catch {
    return null;
  }
}

/**
 * Reads a channel's history (invariant 6): from the Redis stream when the range is there,
 * from event_log where it was trimmed, lost, or not yet propagated; the output is the same.
 */
export class Replayer {
  constructor(
    private readonly pool: Pool,
    private readonly redis: RedisClient,
    private readonly channels: Channels,
    private readonly metrics: RouterMetrics,
    private readonly logger: Logger,
  ) {}

  /** A page of history; PostgreSQL is read through `db` (a transaction's client, or the pool). */
  async replay(channel: string, options: ReplayOptions, db: Queryable = this.pool): Promise<ReplayPage> {
    this.channels.validate(channel);
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REPLAY_LIMIT) {
      throw new InvalidReplayError(`limit must be an integer in 1..${MAX_REPLAY_LIMIT}, got ${String(options.limit)}`);
    }
    const hasSeq = options.sinceSeq !== undefined;
    const hasTime = options.sinceTime !== undefined;
    if (hasSeq === hasTime) throw new InvalidReplayError('give exactly one of sinceSeq and sinceTime');
    if (hasSeq && (!Number.isSafeInteger(options.sinceSeq) || options.sinceSeq! < 0)) {
      throw new InvalidReplayError(`sinceSeq must be a non-negative integer, got ${String(options.sinceSeq)}`);
    }
    if (hasTime && (!(options.sinceTime instanceof Date) || Number.isNaN(options.sinceTime.getTime()))) {
      throw new InvalidReplayError('sinceTime must be a valid Date');
    }

    if (this.channels.isLatest(channel)) return this.#replayLatest(channel, options, limit);
    const head = await headOf(db, channel);
    const start = hasSeq
      ? Math.max(options.sinceSeq!, 1)
      : await this.#startAtTime(db, channel, options.sinceTime!, head);
    if (start > head) return { events: [], next: start, head, hasMore: false };
    if (hasSeq) await this.#checkRetained(db, channel, start);

    const end = Math.min(head, start + limit - 1);
    const events = await this.#fromRedis(channel, start, end);
    if (events.length < end - start + 1) {
      // The rest was trimmed from the stream, lost, or is not propagated yet.
      const from = start + events.length;
      const rows = await readEvents(db, channel, from, end, end - from + 1);
      events.push(...rows.map(toRecioEvent));
    }
    const next = (events.at(-1)?.seq ?? start - 1) + 1;
    return { events, next, head, hasMore: next <= head };
  }

  /**
   * A latest-value channel's history is what its stream holds (invariant 14: no event_log rows), its
   * head the stream's last seq; seqs have gaps. Nothing is "expired": a reader wants the newest
   * values, and gets what is kept. Redis failing is an error here (nothing else has them).
   */
  async #replayLatest(channel: string, options: ReplayOptions, limit: number): Promise<ReplayPage> {
    const key = streamKey(channel);
    const [top] = await this.redis.xrevrange(key, '+', '-', 'COUNT', 1);
    const head = top ? seqOfEntryId(top[0]) : 0;
    const events =
      options.sinceTime === undefined
        ? await this.#latestFrom(channel, entryId(Math.max(options.sinceSeq ?? 1, 1)), limit)
        : await this.#latestSince(channel, options.sinceTime.getTime(), limit);
    const next = events.length > 0 ? events.at(-1)!.seq + 1 : Math.max(options.sinceSeq ?? head + 1, 1);
    return { events, next, head, hasMore: next <= head };
  }

  /** Up to `limit` events of a latest-value stream from entry `from` on. */
  async #latestFrom(channel: string, from: string, limit: number): Promise<RecioEvent[]> {
    const page = Math.max(limit, LATEST_PAGE);
    const events: RecioEvent[] = [];
    for (;;) {
      const entries = await this.redis.xrange(streamKey(channel), from, '+', 'COUNT', page);
      for (const [id, fields] of entries) {
        const event = decodedOrNull(channel, id, fields);
        if (event && events.length < limit) events.push(event);
      }
      if (entries.length < page || events.length >= limit) return events;
      from = `(${entries.at(-1)![0]}`;
    }
  }

  /**
   * The first `limit` events of a latest-value stream at or after `since`, read from the newest
   * backwards until one is older: a recent time (the page's chart asks for five minutes of ticks)
   * reads what it returns, not the whole stream from its first entry. Only the oldest `limit` read
   * are kept (an old time reads the stream, as before, but holds one page). It takes `ts` not to
   * decrease along the stream, as one publisher's clock gives.
   */
  async #latestSince(channel: string, since: number, limit: number): Promise<RecioEvent[]> {
    let newestFirst: RecioEvent[] = [];
    let to = '+';
    for (;;) {
      const entries = await this.redis.xrevrange(streamKey(channel), to, '-', 'COUNT', LATEST_PAGE);
      let older = false;
      for (const [id, fields] of entries) {
        const event = decodedOrNull(channel, id, fields);
        if (!event) continue;
        if (event.ts < since) {
          older = true;
          break;
        }
        newestFirst.push(event);
      }
      if (newestFirst.length > limit) newestFirst = newestFirst.slice(-limit);
      if (older || entries.length < LATEST_PAGE) return newestFirst.reverse();
      to = `(${entries.at(-1)![0]}`;
    }
  }

  async #startAtTime(db: Queryable, channel: string, since: Date, head: number): Promise<number> {
    const { retentionDays } = this.channels.policyOf(channel);
    if (retentionDays !== null && since.getTime() < Date.now() - retentionDays * DAY_MS) {
      // Older than the class keeps: answer so, unless nothing was ever deleted.
      const earliest = await earliestSeq(db, channel);
      if ((earliest === null && head > 0) || (earliest !== null && earliest > 1))
        throw new ReplayExpiredError(channel, earliest);
    }
    return (await firstSeqSince(db, channel, since)) ?? head + 1;
  }

  async #checkRetained(db: Queryable, channel: string, start: number): Promise<void> {
    if (this.channels.policyOf(channel).retentionDays === null) return; // nothing is ever deleted
    const earliest = await earliestSeq(db, channel);
    if (earliest === null || earliest > start) throw new ReplayExpiredError(channel, earliest);
  }

  /** The events start..end that the stream holds contiguously from `start`; [] if Redis fails. */
  async #fromRedis(channel: string, start: number, end: number): Promise<RecioEvent[]> {
    let entries: [string, string[]][];
    try {
      entries = await this.redis.xrange(streamKey(channel), entryId(start), entryId(end));
    } catch (error) {
      this.metrics.redisErrors.inc({ op: 'replay', code: errorCode(error) });
      this.logger.warn({ channel, err: error }, 'replay reads PostgreSQL: Redis failed');
      return [];
    }
    const events: RecioEvent[] = [];
    for (const [id, fields] of entries) {
      let event: RecioEvent;
      try {
        event = decodeStreamEntry(channel, id, fields);
      } catch {
        break; // not written by the router: PostgreSQL, the system of record, has the event
      }
      if (event.seq !== start + events.length) break; // a hole: the rest comes from PostgreSQL
      events.push(event);
    }
    return events;
  }
}
