import type { Queryable } from './queryable.js';

/** A channel whose head is past a group's offset. */
export interface BehindChannel {
  channel: string;
  head: number;
  /** The group's applied seq, null when it never applied one. */
  applied: number | null;
}

/**
 * The consumer's safety net, one cheap query: the channels (concrete, or LIKE patterns)
 * whose committed head is past what `group` applied.
 */
export async function behindChannels(
  db: Queryable,
  group: string,
  channels: readonly string[],
  likePatterns: readonly string[],
  limit: number,
): Promise<BehindChannel[]> {
  const result = await db.query<BehindChannel>({
    name: 'recio_behind_channels',
    text: `SELECT h.channel, h.last_seq::float8 AS head, o.applied_seq::float8 AS applied
           FROM channel_head h
           LEFT JOIN consumer_offset o ON o.group_name = $1 AND o.channel = h.channel
           WHERE (h.channel = ANY($2::text[]) OR h.channel LIKE ANY($3::text[]))
             AND h.last_seq > coalesce(o.applied_seq, 0)
           LIMIT $4`,
    values: [group, channels, likePatterns, limit],
  });
  return result.rows;
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
