import type { Queryable } from './queryable.js';

/** A dead-lettered event as stored. */
export interface DeadLetter {
  id: number;
  group_name: string;
  event_id: string;
  channel: string;
  seq: number;
  type: string;
  deliveries: number;
  error_code: string;
  error: string;
  created_at: Date;
  redrive_requested_at: Date | null;
  redriven_at: Date | null;
}

const COLUMNS = `id::float8 AS id, group_name, event_id, channel, seq::float8 AS seq, type, deliveries,
  error_code, error, created_at, redrive_requested_at, redriven_at`;

/** Records a dead letter (once per group and event). */
export async function insertDeadLetter(
  db: Queryable,
  d: Pick<DeadLetter, 'group_name' | 'event_id' | 'channel' | 'seq' | 'type' | 'deliveries' | 'error_code' | 'error'>,
): Promise<void> {
  await db.query({
    name: 'recio_dead_letter_insert',
    text: `INSERT INTO dead_letter (group_name, event_id, channel, seq, type, deliveries, error_code, error)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (group_name, event_id) DO NOTHING`,
    values: [d.group_name, d.event_id, d.channel, d.seq, d.type, d.deliveries, d.error_code, d.error.slice(0, 4_000)],
  });
}

/** Dead letters, newest first, optionally of one group and/or channel. */
export async function listDeadLetters(
  db: Queryable,
  filter: { group?: string; channel?: string; limit: number },
): Promise<DeadLetter[]> {
  const result = await db.query<DeadLetter>(
    `SELECT ${COLUMNS} FROM dead_letter
     WHERE ($1::text IS NULL OR group_name = $1) AND ($2::text IS NULL OR channel = $2)
     ORDER BY id DESC LIMIT $3`,
    [filter.group ?? null, filter.channel ?? null, filter.limit],
  );
  return result.rows;
}

/** Asks the dead letter's group to run its handler on it again; false if no such letter. */
export async function requestRedrive(db: Queryable, id: number): Promise<DeadLetter | null> {
  const result = await db.query<DeadLetter>(
    `UPDATE dead_letter SET redrive_requested_at = now(), redriven_at = NULL WHERE id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
  return result.rows[0] ?? null;
}

/** Re-drives a group has been asked for, locked for this transaction (others skip them). */
export async function claimRedrives(db: Queryable, group: string, limit: number): Promise<DeadLetter[]> {
  const result = await db.query<DeadLetter>(
    `SELECT ${COLUMNS} FROM dead_letter
     WHERE group_name = $1 AND redrive_requested_at IS NOT NULL AND redriven_at IS NULL
     ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [group, limit],
  );
  return result.rows;
}

/** Marks a re-drive done. */
export async function markRedriven(db: Queryable, id: number): Promise<void> {
  await db.query('UPDATE dead_letter SET redriven_at = now() WHERE id = $1', [id]);
}
