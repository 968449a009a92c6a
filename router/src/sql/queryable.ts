import type { Pool, PoolClient } from 'pg';

/** A pool (each query its own transaction) or a client inside a caller's transaction. */
export type Queryable = Pool | PoolClient;

/** Columns every event-reading statement selects, in the shape of CommittedEvent. */
export const EVENT_COLUMNS = `event_id, channel, seq::float8 AS seq, type, source,
  floor(extract(epoch FROM created_at) * 1000)::float8 AS ts, data::text AS "dataText"`;
