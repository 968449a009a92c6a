import type { Queryable } from './queryable.js';

/** A channel whose head is past a group's offset. */
export interface BehindChannel {
  channel: string;
  head: number;
  /** The group's applied seq, null when it never applied one. */
  applied: number | null;
}

/** What a consumer's sweep statement found. */
export interface GroupSweep {
  /** Channels whose head is past the group's offset (at most `limit`). */
  behind: BehindChannel[];
  /** Someone asked for one of the group's dead letters to be re-driven (`recio dlq replay`). */
  redriveRequested: boolean;
}

/**
 * The consumer's safety net in PostgreSQL, one statement (no transaction): the channels (concrete,
 * or LIKE patterns) whose committed head is past what `group` applied, and whether a re-drive of
 * one of its dead letters was requested. Always one row at least (the flag), with a null channel
 * when none is behind.
 */
export async function sweepGroup(
  db: Queryable,
  group: string,
  channels: readonly string[],
  likePatterns: readonly string[],
  limit: number,
): Promise<GroupSweep> {
  const result = await db.query<{
    redrive: boolean;
    channel: string | null;
    head: number | null;
    applied: number | null;
  }>({
    name: 'recio_sweep_group',
    text: `SELECT r.redrive, b.channel, b.head, b.applied
           FROM (SELECT EXISTS (SELECT 1 FROM dead_letter
                                WHERE group_name = $1 AND redrive_requested_at IS NOT NULL AND redriven_at IS NULL)
                 AS redrive) r
           LEFT JOIN LATERAL (
             SELECT h.channel, h.last_seq::float8 AS head, o.applied_seq::float8 AS applied
             FROM channel_head h
             LEFT JOIN consumer_offset o ON o.group_name = $1 AND o.channel = h.channel
             WHERE (h.channel = ANY($2::text[]) OR h.channel LIKE ANY($3::text[]))
               AND h.last_seq > coalesce(o.applied_seq, 0)
             LIMIT $4) b ON true`,
    values: [group, channels, likePatterns, limit],
  });
  const behind: BehindChannel[] = [];
  for (const row of result.rows)
    if (row.channel !== null) behind.push({ channel: row.channel, head: row.head!, applied: row.applied });
  return { behind, redriveRequested: result.rows[0]?.redrive === true };
}

/** Channels that already exist and match the LIKE patterns (a pattern subscription's start). */
export async function matchingChannels(db: Queryable, likePatterns: readonly string[]): Promise<string[]> {
  if (likePatterns.length === 0) return [];
  const result = await db.query<{ channel: string }>({
    name: 'recio_matching_channels',
    text: 'SELECT channel FROM channel_head WHERE channel LIKE ANY($1::text[]) ORDER BY channel',
    values: [likePatterns],
  });
  return result.rows.map((r) => r.channel);
}
