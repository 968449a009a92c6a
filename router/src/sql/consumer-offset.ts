import type { Queryable } from './queryable.js';

/** Creates a group's offset row for a channel at `initial` unless it exists. */
export async function ensureOffset(db: Queryable, group: string, channel: string, initial: number): Promise<void> {
  await db.query({
    name: 'recio_offset_init',
    text: `INSERT INTO consumer_offset (group_name, channel, applied_seq) VALUES ($1, $2, $3)
           ON CONFLICT (group_name, channel) DO NOTHING`,
    values: [group, channel, initial],
  });
}

/**
 * Locks a group's offset row for a channel for the rest of the transaction and returns the
 * applied seq. Consumers of one group wait here for each other, so a channel is applied by
 * one of them at a time. A missing row (never expected: members create it before reading)
 * starts at 0, so nothing is skipped.
 */
export async function lockOffset(db: Queryable, group: string, channel: string): Promise<number> {
  for (;;) {
    const result = await db.query<{ applied_seq: number }>({
      name: 'recio_offset_lock',
      text: `SELECT applied_seq::float8 AS applied_seq FROM consumer_offset
             WHERE group_name = $1 AND channel = $2 FOR UPDATE`,
      values: [group, channel],
    });
    if (result.rows[0]) return result.rows[0].applied_seq;
    await ensureOffset(db, group, channel, 0);
  }
}

/** Moves a locked offset to `seq`. */
export async function advanceOffset(db: Queryable, group: string, channel: string, seq: number): Promise<void> {
  await db.query({
    name: 'recio_offset_advance',
    text: 'UPDATE consumer_offset SET applied_seq = $3, updated_at = now() WHERE group_name = $1 AND channel = $2',
    values: [group, channel, seq],
  });
}

/** The applied seq of a group on a channel, or null when it never applied one (no lock). */
export async function readOffset(db: Queryable, group: string, channel: string): Promise<number | null> {
  const result = await db.query<{ applied_seq: number }>({
    name: 'recio_offset_read',
    text: 'SELECT applied_seq::float8 AS applied_seq FROM consumer_offset WHERE group_name = $1 AND channel = $2',
    values: [group, channel],
  });
  return result.rows[0]?.applied_seq ?? null;
}
