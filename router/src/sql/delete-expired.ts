import type { Queryable } from './queryable.js';

/**
 * Deletes at most `batch` events of `channelClass` created before `cutoff`; returns how many.
 * Callers loop until it returns less than `batch`, so no statement holds locks for long.
 */
export async function deleteExpired(db: Queryable, channelClass: string, cutoff: Date, batch: number): Promise<number> {
  const result = await db.query({
    name: 'recio_delete_expired',
    text: `DELETE FROM event_log WHERE event_id IN (
             SELECT event_id FROM event_log
             WHERE channel_class = $1 AND created_at < $2
             ORDER BY created_at LIMIT $3)`,
    values: [channelClass, cutoff, batch],
  });
  return result.rowCount ?? 0;
}
