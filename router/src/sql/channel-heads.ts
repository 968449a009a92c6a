import type { Queryable } from './queryable.js';

/** A channel's head: its last committed seq. */
export interface ChannelHead {
  channel: string;
  last_seq: number;
}

/** The head of one channel, 0 when it never had an event. */
export async function headOf(db: Queryable, channel: string): Promise<number> {
  const result = await db.query<{ last_seq: number }>({
    name: 'recio_head_of',
    text: 'SELECT last_seq::float8 AS last_seq FROM channel_head WHERE channel = $1',
    values: [channel],
  });
  return result.rows[0]?.last_seq ?? 0;
}

/** One page of all heads in channel order, after `afterChannel` (keyset pagination). */
export async function pageHeads(db: Queryable, afterChannel: string, limit: number): Promise<ChannelHead[]> {
  const result = await db.query<ChannelHead>({
    name: 'recio_page_heads',
    text: `SELECT channel, last_seq::float8 AS last_seq FROM channel_head
           WHERE channel > $1 ORDER BY channel LIMIT $2`,
    values: [afterChannel, limit],
  });
  return result.rows;
}

/**
 * Heads changed at or after `since` and at least `graceMs` ago (younger changes are most
 * likely being appended by their publisher right now), with the newest change time seen.
 */
export async function changedHeads(
  db: Queryable,
  since: Date,
  graceMs: number,
  limit: number,
): Promise<{ heads: ChannelHead[]; newest: Date | null }> {
  const result = await db.query<ChannelHead & { updated_at: Date }>({
    name: 'recio_changed_heads',
    text: `SELECT channel, last_seq::float8 AS last_seq, updated_at FROM channel_head
           WHERE updated_at >= $1 AND updated_at < clock_timestamp() - make_interval(secs => $2::float8 / 1000)
           ORDER BY updated_at LIMIT $3`,
    values: [since, graceMs, limit],
  });
  const newest = result.rows.at(-1)?.updated_at ?? null;
  return { heads: result.rows.map(({ channel, last_seq }) => ({ channel, last_seq })), newest };
}
