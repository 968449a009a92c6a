import {
  channelClass,
  channelMatches,
  entryId,
  isChannelPattern,
  isLatestChannel,
  seqOfEntryId,
} from '@recio/contract';
import { isKeyRefusal, replyFields, streamKey, toLike, type RedisClient } from '@recio/router';
import type pg from 'pg';
import type { MemberReading } from './evaluate.js';

/** A consumer group the controller watches: its name and the channels (or patterns) it reads. */
export interface WatchedGroup {
  name: string;
  channels: readonly string[];
}

/** A channel a group has not caught up on. */
export interface BehindChannel {
  group: string;
  channel: string;
  head: number;
  applied: number;
  /** Commit time (ms) of the first event the group has not applied; null when PostgreSQL no longer has it. */
  nextCommittedAt: number | null;
}

/** What one group looks like now. */
export interface GroupSample {
  group: string;
  /** Unapplied events, in all and per channel class. */
  lag: number;
  lagByClass: Map<string, number>;
  /** Seconds since the oldest unapplied event committed, per class (0 when caught up). */
  lagSecondsByClass: Map<string, number>;
  /** Events applied in all (progress). */
  applied: number;
  /** Entries delivered and not acknowledged on the channels it is behind on, per class. */
  pendingByClass: Map<string, number>;
  /** Each member seen on a channel it is behind on, with what it holds there (summed). */
  members: Map<string, MemberReading>;
  /** Its channels it is behind on. */
  behind: BehindChannel[];
}

/** A stream Redis refused to describe (an error reply: a key at its name that is not a stream, say). */
export interface UnreadStream {
  group: string;
  channel: string;
  error: Error;
}

/** One sample of every watched group. */
export interface Sample {
  at: number;
  groups: Map<string, GroupSample>;
  /**
   * Streams left out of this sample because Redis refused them: the rest is judged all the same
   * (their lag still counts, from PostgreSQL), where one bad key once failed every sample.
   */
  unread: UnreadStream[];
}

/** A group's channels as (concrete channel, LIKE pattern) pairs for one SQL statement. */
function selectors(groups: readonly WatchedGroup[]): {
  group: string[];
  exact: (string | null)[];
  like: (string | null)[];
} {
  const out = { group: [] as string[], exact: [] as (string | null)[], like: [] as (string | null)[] };
  for (const g of groups) {
    for (const c of g.channels) {
      out.group.push(g.name);
      out.exact.push(isChannelPattern(c) ? null : c);
      out.like.push(isChannelPattern(c) ? toLike(c) : null);
    }
  }
  return out;
}

/**
 * Reads what the controller judges by. PostgreSQL, one statement: every channel each group is
 * behind on (head past its offset) with the commit time of the first event it has not applied, and
 * each group's applied total. Latest-value channels, from Redis: entries pending or undelivered. Redis, only for those channels: the group's pending count and its
 * last delivered entry (XINFO GROUPS), and its members (XINFO CONSUMERS). A caught-up group costs
 * Redis nothing.
 */
export async function takeSample(
  deps: { pool: pg.Pool; redis: RedisClient },
  groups: readonly WatchedGroup[],
  claimIdleMs: number,
  now = Date.now(),
): Promise<Sample> {
  // Redis answers, or the sample fails (a caught-up platform would otherwise ask Redis nothing).
  await deps.redis.ping();
  const s = selectors(groups);
  const { rows } = await deps.pool.query<{
    group_name: string;
    channel: string | null;
    head: number | null;
    applied: number;
    next_at: number | null;
  }>({
    name: 'recio_controller_sample',
    text: `WITH sel AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS s(group_name, exact, pattern)),
           behind AS (
             SELECT DISTINCT sel.group_name, h.channel, h.last_seq, coalesce(o.applied_seq, 0) AS applied
             FROM sel
             JOIN channel_head h ON h.channel = sel.exact OR h.channel LIKE sel.pattern
             LEFT JOIN consumer_offset o ON o.group_name = sel.group_name AND o.channel = h.channel
             WHERE h.last_seq > coalesce(o.applied_seq, 0))
           SELECT b.group_name, b.channel, b.last_seq::float8 AS head, b.applied::float8 AS applied,
                  (SELECT extract(epoch FROM e.created_at) * 1000 FROM event_log e
                   WHERE e.channel = b.channel AND e.seq = b.applied + 1)::float8 AS next_at
           FROM behind b
           UNION ALL
           SELECT group_name, NULL, NULL, sum(applied_seq)::float8, NULL
           FROM consumer_offset WHERE group_name = ANY($4::text[]) GROUP BY group_name`,
    values: [s.group, s.exact, s.like, groups.map((g) => g.name)],
  });

  const out = new Map<string, GroupSample>();
  const unread: UnreadStream[] = [];
  /** What Redis says of one stream, or `none` when it refuses that stream (set apart in `unread`). */
  const orNone =
    <T>(group: string, channel: string, none: T) =>
    (err: unknown): T => {
      if (!isKeyRefusal(err)) throw err;
      unread.push({ group, channel, error: err });
      return none;
    };
  for (const g of groups) {
    out.set(g.name, {
      group: g.name,
      lag: 0,
      lagByClass: new Map(),
      lagSecondsByClass: new Map(),
      applied: 0,
      pendingByClass: new Map(),
      members: new Map(),
      behind: [],
    });
  }
  const add = (map: Map<string, number>, key: string, n: number) => map.set(key, (map.get(key) ?? 0) + n);
  for (const r of rows) {
    const g = out.get(r.group_name)!;
    if (r.channel === null) {
      g.applied = r.applied;
      continue;
    }
    const behind: BehindChannel = {
      group: r.group_name,
      channel: r.channel,
      head: r.head!,
      applied: r.applied,
      nextCommittedAt: r.next_at === null ? null : Math.round(r.next_at),
    };
    g.behind.push(behind);
    const cls = channelClass(r.channel);
    g.lag += behind.head - behind.applied;
    add(g.lagByClass, cls, behind.head - behind.applied);
    const seconds = behind.nextCommittedAt === null ? 0 : Math.max(0, (now - behind.nextCommittedAt) / 1000);
    g.lagSecondsByClass.set(cls, Math.max(g.lagSecondsByClass.get(cls) ?? 0, seconds));
  }

  // Latest-value channels (prices, markets) have no PostgreSQL head or offset (invariant 14): what a
  // group has not finished there is in Redis, its undelivered entries (XINFO GROUPS lag) and pending ones.
  const latest = await Promise.all(
    groups.flatMap((g) =>
      g.channels.filter(isLatestChannel).map(async (channel) => ({
        g,
        channel,
        ...(await latestBacklog(deps.redis, g.name, channel).catch(
          orNone(g.name, channel, { count: 0, oldestAt: null }),
        )),
      })),
    ),
  );
  for (const { g, channel, count, oldestAt } of latest) {
    if (count === 0) continue;
    const sample = out.get(g.name)!;
    // Its lag counts entries: the seqs of latest-value channels are versions, not positions.
    sample.behind.push({ group: g.name, channel, head: count, applied: 0, nextCommittedAt: oldestAt });
    const cls = channelClass(channel);
    sample.lag += count;
    add(sample.lagByClass, cls, count);
    const seconds = oldestAt === null ? 0 : Math.max(0, (now - oldestAt) / 1000);
    sample.lagSecondsByClass.set(cls, Math.max(sample.lagSecondsByClass.get(cls) ?? 0, seconds));
  }

  // Redis: the streams of the channels behind, both XINFO replies per (stream, group) at once.
  const readings = await Promise.all(
    [...out.values()].flatMap((g) =>
      g.behind.map(async (b) => ({
        b,
        ...(await readStream(deps.redis, b, claimIdleMs).catch(
          orNone(b.group, b.channel, { pending: 0, members: [] }),
        )),
      })),
    ),
  );
  for (const { b, pending, members } of readings) {
    const g = out.get(b.group)!;
    add(g.pendingByClass, channelClass(b.channel), pending);
    for (const m of members) {
      const seen = g.members.get(m.consumer);
      g.members.set(
        m.consumer,
        seen
          ? {
              consumer: m.consumer,
              pending: seen.pending + m.pending,
              idleMs: Math.min(seen.idleMs, m.idleMs),
              undelivered: seen.undelivered || m.undelivered,
            }
          : m,
      );
    }
  }
  return { at: now, groups: out, unread };
}

/** How many undelivered entries of a latest-value stream are counted when Redis cannot tell. */
const LATEST_COUNT_LIMIT = 1_000;

/**
 * A group's unfinished entries on a latest-value stream: pending plus not yet delivered, and the
 * time (the entry's ts) of the oldest of them. Nothing when the stream or the group does not exist.
 */
async function latestBacklog(
  redis: RedisClient,
  group: string,
  channel: string,
): Promise<{ count: number; oldestAt: number | null }> {
  const key = streamKey(channel);
  const groups = ((await redis.call('XINFO', 'GROUPS', key).catch(noSuchKey)) as unknown[]).map(replyFields);
  const mine = groups.find((x) => x.name === group);
  if (!mine) return { count: 0, oldestAt: null };
  const pending = Number(mine.pending);
  // Redis's count of entries not delivered to the group; null when it cannot tell (an entry deleted
  // after the group's last delivered one, say): then those after it, counted up to LATEST_COUNT_LIMIT.
  const undelivered =
    mine.lag !== null && mine.lag !== undefined
      ? Number(mine.lag)
      : (await redis.xrange(key, `(${String(mine['last-delivered-id'])}`, '+', 'COUNT', LATEST_COUNT_LIMIT)).length;
  if (pending + undelivered === 0) return { count: 0, oldestAt: null };
  let oldest: string | undefined;
  if (pending > 0) oldest = ((await redis.xpending(key, group, '-', '+', 1)) as [string][])[0]?.[0];
  else oldest = (await redis.xrange(key, `(${String(mine['last-delivered-id'])}`, '+', 'COUNT', 1))[0]?.[0];
  const entry = oldest === undefined ? undefined : (await redis.xrange(key, oldest, oldest))[0];
  const ts = entry ? Number(replyFields(entry[1]).ts) : Number.NaN;
  return { count: pending + undelivered, oldestAt: Number.isFinite(ts) ? ts : null };
}

/** Redis's answer for a key it does not have: the stream is gone (trimmed to nothing, Redis emptied). */
const noSuchKey = (err: unknown) => {
  if (err instanceof Error && /no such key/i.test(err.message)) return [];
  throw err;
};

/**
 * One stream a group is behind on: its pending count and its members. A member is charged with the
 * entries waiting undelivered only when no member of the group read the stream within
 * `claimIdleMs` (otherwise a live member is on it) and it is not gone (idle 10 × claimIdleMs: the
 * sweep deletes those, a restart would not bring them back).
 */
async function readStream(
  redis: RedisClient,
  b: BehindChannel,
  claimIdleMs: number,
): Promise<{ pending: number; members: MemberReading[] }> {
  const key = streamKey(b.channel);
  const groups = ((await redis.call('XINFO', 'GROUPS', key).catch(noSuchKey)) as unknown[]).map(replyFields);
  const mine = groups.find((x) => x.name === b.group);
  if (!mine) return { pending: 0, members: [] };
  // Redis's own count of entries not delivered to the group; null when it cannot tell (after a
  // trim), then the stream's last entry against the group's last delivered one.
  let undelivered: boolean;
  if (mine.lag !== null && mine.lag !== undefined) undelivered = Number(mine.lag) > 0;
  else {
    const stream = replyFields(await redis.call('XINFO', 'STREAM', key));
    undelivered = seqOfEntryId(String(stream['last-generated-id'])) > seqOfEntryId(String(mine['last-delivered-id']));
  }
  const consumers = ((await redis.call('XINFO', 'CONSUMERS', key, b.group).catch(noSuchKey)) as unknown[]).map(
    replyFields,
  );
  const members = consumers.map((c) => ({
    consumer: String(c.name),
    pending: Number(c.pending),
    idleMs: Number(c.idle),
  }));
  const someoneReads = members.some((m) => m.idleMs <= claimIdleMs);
  return {
    pending: Number(mine.pending),
    members: members.map((m) => ({
      ...m,
      undelivered: undelivered && !someoneReads && m.idleMs < 10 * claimIdleMs,
    })),
  };
}

/**
 * Acknowledges what a group's members hold on `channel` at or below `applied`: entries whose
 * effects committed (the offset says so) but whose ack was lost with a dead member. Returns how many.
 */
export async function ackApplied(redis: RedisClient, group: string, channel: string, applied: number): Promise<number> {
  if (applied <= 0) return 0;
  const key = streamKey(channel);
  const rows = (await redis.xpending(key, group, '-', entryId(applied), 1_000)) as [string, string, number, number][];
  if (rows.length === 0) return 0;
  return Number(await redis.xack(key, group, ...rows.map(([id]) => id)));
}

/** Whether a group reads `channel` (a concrete channel of its own, or one its pattern matches). */
export function groupReads(group: WatchedGroup, channel: string): boolean {
  return group.channels.some((c) => (isChannelPattern(c) ? channelMatches(c, channel) : c === channel));
}
