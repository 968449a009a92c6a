import type { Queryable } from './queryable.js';

/** The earliest seq PostgreSQL still holds for `channel` (retention deletes older ones), or null. */
export async function earliestSeq(db: Queryable, channel: string): Promise<number | null> {
  const result = await db.query<{ seq: number | null }>({
    name: 'recio_earliest_seq',
    text: 'SELECT min(seq)::float8 AS seq FROM event_log WHERE channel = $1',
    values: [channel],
  });
  return result.rows[0]?.seq ?? null;
}

/** The first seq of `channel` committed at or after `since`, or null when there is none yet. */
export async function firstSeqSince(db: Queryable, channel: string, since: Date): Promise<number | null> {
  const result = await db.query<{ seq: number }>({
    name: 'recio_first_seq_since',
    text: `SELECT seq::float8 AS seq FROM event_log
           WHERE channel = $1 AND created_at >= $2 ORDER BY created_at, seq LIMIT 1`,
    values: [channel, since],
  });
  return result.rows[0]?.seq ?? null;
}
