import { seqOfEntryId } from '@recio/contract';
import { streamKey } from '../channels.js';
import { errorCode } from '../errors.js';
import type { RedisClient } from '../redis/connection.js';
import { replyFields } from '../redis/reply-fields.js';

/** Stream entries as XREADGROUP / XAUTOCLAIM return them. */
export type StreamEntries = [id: string, fields: string[]][];

/** One channel's stream as one member of a consumer group uses it: the Redis commands, typed. */
export class GroupStream {
  constructor(
    private readonly redis: RedisClient,
    readonly key: string,
    private readonly group: string,
    private readonly consumer: string,
  ) {}

  /**
   * The seq of the stream's first entry, or 1 for an empty or missing stream: one read, so
   * an append racing with it can only make the answer lower than it could be, never higher.
   * (Regression: reading the last id after finding the stream empty skipped the event
   * appended in between.)
   */
  async firstSeq(): Promise<number> {
    const [first] = await this.redis.xrange(this.key, '-', '+', 'COUNT', 1);
    return first ? seqOfEntryId(first[0]) : 1;
  }

  /** Creates the group at the start of the stream (and the stream if missing); fine if it exists. */
  async create(): Promise<void> {
    await this.redis.xgroup('CREATE', this.key, this.group, '0', 'MKSTREAM').catch((err: Error) => {
      if (errorCode(err) !== 'BUSYGROUP') throw err;
    });
  }

  /**
   * Creates the group of a latest-value stream at its newest entry (delivered, with all that
   * follows), and the stream if missing; fine if the group exists. Older values are superseded.
   */
  async createAtLatest(): Promise<void> {
    const [top] = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1);
    const from = top ? `${seqOfEntryId(top[0]) - 1}-0` : '0';
    await this.redis.xgroup('CREATE', this.key, this.group, from, 'MKSTREAM').catch((err: Error) => {
      if (errorCode(err) !== 'BUSYGROUP') throw err;
    });
  }

  /** Non-blocking XREADGROUP: '>' new entries, '0' this member's own pending ones. */
  async read(count: number, from: '0' | '>'): Promise<StreamEntries> {
    const reply = (await this.redis.xreadgroup(
      'GROUP',
      this.group,
      this.consumer,
      'COUNT',
      count,
      'STREAMS',
      this.key,
      from,
    )) as [string, StreamEntries][] | null;
    return reply?.[0]?.[1] ?? [];
  }

  /** Delivery counts from the PEL, for entries re-read or claimed. */
  async deliveryCounts(entries: StreamEntries): Promise<Map<string, number>> {
    const rows = (await this.redis.xpending(
      this.key,
      this.group,
      entries[0]![0],
      entries.at(-1)![0],
      entries.length,
      this.consumer,
    )) as [string, string, number, number][];
    return new Map(rows.map(([id, , , times]) => [id, Number(times)]));
  }

  /**
   * Takes over entries idle longer than `minIdleMs` in other members (XAUTOCLAIM, Redis 6.2+).
   * Entries whose data was trimmed come back without fields and leave the PEL (Redis 7): they
   * are not returned; the offset then shows them missing and they are applied from replay.
   */
  async claimIdle(minIdleMs: number, count: number): Promise<StreamEntries> {
    const [, claimed] = (await this.redis.xautoclaim(
      this.key,
      this.group,
      this.consumer,
      minIdleMs,
      '0-0',
      'COUNT',
      count,
    )) as [string, StreamEntries, string[]];
    return claimed.filter(([, fields]) => fields !== null);
  }

  /**
   * The group as Redis sees it (XINFO GROUPS): entries pending in any member, and entries not yet
   * delivered to any (`lag`: null when Redis cannot tell, e.g. after entries were deleted; Redis 7.0
   * reports it). Null when the group does not exist; throws when the stream does not.
   */
  async groupInfo(): Promise<{ pending: number; lag: number | null } | null> {
    const rows = (await this.redis.call('XINFO', 'GROUPS', this.key)) as unknown[];
    for (const info of rows.map(replyFields)) {
      if (info.name !== this.group) continue;
      const lag = info.lag;
      return { pending: Number(info.pending), lag: lag === null || lag === undefined ? null : Number(lag) };
    }
    return null;
  }

  /** Whether the group holds an entry idle for at least `minIdleMs` (XPENDING IDLE, Redis 6.2+): one to claim. */
  async hasIdlePending(minIdleMs: number): Promise<boolean> {
    const rows = await this.redis.xpending(this.key, this.group, 'IDLE', minIdleMs, '-', '+', 1);
    return rows.length > 0;
  }

  /** How many entries the whole group has pending on this stream. */
  async pendingCount(): Promise<number> {
    const [pending] = (await this.redis.xpending(this.key, this.group)) as [number];
    return Number(pending);
  }

  /** Deletes the other members idle longer than `idleMs` that hold nothing; returns their names. */
  async removeGoneMembers(idleMs: number): Promise<string[]> {
    const rows = (await this.redis.call('XINFO', 'CONSUMERS', this.key, this.group)) as unknown[];
    const removed: string[] = [];
    for (const info of rows.map(replyFields)) {
      if (info.name !== this.consumer && Number(info.pending) === 0 && Number(info.idle) > idleMs) {
        await this.redis.xgroup('DELCONSUMER', this.key, this.group, String(info.name));
        removed.push(String(info.name));
      }
    }
    return removed;
  }
}

/**
 * Acknowledges a group's entries on `channel`'s stream, once their effects committed. Resolves to
 * whether Redis took it: a lost ack only means a redelivery, which the offset turns into a counted
 * duplicate.
 */
export async function acknowledge(redis: RedisClient, group: string, channel: string, ids: string[]): Promise<boolean> {
  if (ids.length === 0) return true;
  return redis.xack(streamKey(channel), group, ...ids).then(
    () => true,
    () => false,
  );
}
