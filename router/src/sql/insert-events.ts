import type { CommittedEvent } from '../event.js';
import { execute, type SessionStatement, type StatementValue } from './literals.js';
import type { Queryable } from './queryable.js';

/** One event to insert; `dataText` is its JSON text, stored as is. */
export interface NewEvent {
  event_id: string;
  channel: string;
  type: string;
  dataText: string;
}

// One statement: bump each channel's head by its number of events (rows locked in channel
// order, so two transactions never deadlock on heads), then insert the events numbered
// head-n+1 … head in input order. created_at is taken after the head row lock, so it never
// decreases along a channel (invariant 2).
const INSERT_EVENTS = `
WITH input AS (
  SELECT t.event_id, t.channel, t.type, t.data, t.ord
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::json[]) WITH ORDINALITY AS t(event_id, channel, type, data, ord)
), counts AS (
  SELECT channel, count(*)::bigint AS n FROM input GROUP BY channel
), heads AS (
  INSERT INTO channel_head AS h (channel, last_seq)
  SELECT channel, n FROM counts ORDER BY channel
  ON CONFLICT (channel) DO UPDATE SET last_seq = h.last_seq + excluded.last_seq, updated_at = clock_timestamp()
  RETURNING h.channel, h.last_seq
)
INSERT INTO event_log (event_id, channel, seq, type, source, data, created_at)
SELECT i.event_id, i.channel,
       heads.last_seq - counts.n + row_number() OVER (PARTITION BY i.channel ORDER BY i.ord),
       i.type, $5, i.data, clock_timestamp()
FROM input i JOIN counts USING (channel) JOIN heads USING (channel)
RETURNING event_id, seq::float8 AS seq, floor(extract(epoch FROM created_at) * 1000)::float8 AS ts`;

// The same for one event, the common case (a business transaction publishing one event): no
// unnest, grouping or window, a plan a third cheaper for PostgreSQL (measured in docs/performance.md).
const INSERT_EVENT = `
WITH head AS (
  INSERT INTO channel_head AS h (channel, last_seq) VALUES ($2, 1)
  ON CONFLICT (channel) DO UPDATE SET last_seq = h.last_seq + 1, updated_at = clock_timestamp()
  RETURNING h.last_seq
)
INSERT INTO event_log (event_id, channel, seq, type, source, data, created_at)
SELECT $1, $2, head.last_seq, $3, $5, $4, clock_timestamp() FROM head
RETURNING event_id, seq::float8 AS seq, floor(extract(epoch FROM created_at) * 1000)::float8 AS ts`;

/**
 * Assigns sequence numbers to `events` and inserts them, in the caller's transaction (a
 * PoolClient inside BEGIN) or as a transaction of its own (a Pool). Returns the committed
 * form of each event, in input order.
 */
export async function insertEvents(
  db: Queryable,
  events: readonly NewEvent[],
  source: string,
): Promise<CommittedEvent[]> {
  const { statement, values } = insertCall(events, source);
  const result = await db.query<InsertedEventRow>({
    name: PROTOCOL_NAMES[statement.name],
    text: statement.text,
    values,
  });
  return committedEvents(events, source, result.rows);
}

/** What the insert returns for each event. */
export interface InsertedEventRow {
  event_id: string;
  seq: number;
  ts: number;
}

/** The one-event insert as a session statement (prepared per connection), to ride COMMIT's round trip. */
export const INSERT_EVENT_STATEMENT: SessionStatement = {
  name: 'recio_session_insert_event',
  types: ['uuid', 'text', 'text', 'json', 'text'],
  text: INSERT_EVENT,
};

/** The insert of several events as a session statement. */
export const INSERT_EVENTS_STATEMENT: SessionStatement = {
  name: 'recio_session_insert_events',
  types: ['uuid[]', 'text[]', 'text[]', 'json[]', 'text'],
  text: INSERT_EVENTS,
};

/** The same statements' names as node-postgres prepares them (a name of its own: one namespace per session). */
const PROTOCOL_NAMES: Record<string, string> = {
  [INSERT_EVENT_STATEMENT.name]: 'recio_insert_event',
  [INSERT_EVENTS_STATEMENT.name]: 'recio_insert_events',
};

/** Which insert `events` take (one event, the common case, has its own cheaper plan) and its values. */
function insertCall(
  events: readonly NewEvent[],
  source: string,
): { statement: SessionStatement; values: StatementValue[] } {
  const only = events.length === 1 ? events[0]! : undefined;
  if (only)
    return {
      statement: INSERT_EVENT_STATEMENT,
      values: [only.event_id, only.channel, only.type, only.dataText, source],
    };
  return {
    statement: INSERT_EVENTS_STATEMENT,
    values: [
      events.map((e) => e.event_id),
      events.map((e) => e.channel),
      events.map((e) => e.type),
      events.map((e) => e.dataText),
      source,
    ],
  };
}

/**
 * The same insert as one statement without parameters (`EXECUTE` of its session statement, with
 * literals), for a round trip that holds more: the events go with COMMIT. Its rows make the
 * committed events with {@link committedEvents}.
 */
export function insertEventsStatement(events: readonly NewEvent[], source: string): string {
  const { statement, values } = insertCall(events, source);
  return execute(statement, values);
}

/** The committed form of each of `events`, in input order, from the insert's rows. */
export function committedEvents(
  events: readonly NewEvent[],
  source: string,
  rows: readonly InsertedEventRow[],
): CommittedEvent[] {
  const byId = new Map(rows.map((row) => [row.event_id, row]));
  return events.map((e) => {
    const { seq, ts } = byId.get(e.event_id)!;
    return { event_id: e.event_id, channel: e.channel, seq, type: e.type, source, ts, dataText: e.dataText };
  });
}
