-- Up Migration

-- The per-channel sequence counter (ARCHITECTURE invariant 2). Publishing upserts
-- last_seq = last_seq + n inside the business transaction; the row lock held until COMMIT
-- makes commit order equal sequence order on one channel. updated_at drives the relay's
-- incremental sweep (channels changed recently).
CREATE TABLE channel_head (
  channel    text        PRIMARY KEY,
  last_seq   bigint      NOT NULL CHECK (last_seq >= 0),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX channel_head_updated_at ON channel_head (updated_at);

-- The system of record for events (invariant 1): a row commits with the business rows
-- it describes. created_at is taken after the channel_head row lock, so it never decreases
-- along a channel's sequence; it is the event's `ts` and drives time-based replay.
CREATE TABLE event_log (
  event_id      uuid        PRIMARY KEY,
  channel       text        NOT NULL,
  seq           bigint      NOT NULL CHECK (seq > 0),
  type          text        NOT NULL,
  source        text        NOT NULL,
  -- json, not jsonb: the text is kept exactly as published, so the publisher (which has it)
  -- and the relay (which reads it back) write byte-identical stream entries (invariant 3),
  -- and nothing is re-parsed or re-rendered on the hot path. Business tables hold queryable state.
  data          json        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- the channel class (`trades`, `prices`, ...) for per-class retention (invariant 6)
  channel_class text        GENERATED ALWAYS AS (split_part(channel, ':', 1)) STORED,
  CONSTRAINT event_log_channel_seq UNIQUE (channel, seq)
);
CREATE INDEX event_log_channel_time ON event_log (channel, created_at);
CREATE INDEX event_log_class_time ON event_log (channel_class, created_at);

-- Down Migration
DROP TABLE event_log;
DROP TABLE channel_head;
