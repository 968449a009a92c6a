import type { CommittedEvent } from '../event.js';
import { EVENT_COLUMNS, type Queryable } from './queryable.js';

/** Events of `channel` with fromSeq ≤ seq ≤ toSeq, in seq order, at most `limit`. */
export async function readEvents(
  db: Queryable,
  channel: string,
  fromSeq: number,
  toSeq: number,
  limit: number,
): Promise<CommittedEvent[]> {
  const result = await db.query<CommittedEvent>({
    name: 'recio_read_events',
    text: `SELECT ${EVENT_COLUMNS} FROM event_log
           WHERE channel = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq LIMIT $4`,
    values: [channel, fromSeq, toSeq, limit],
  });
  return result.rows;
}
