-- Up Migration

-- How far each consumer group has applied each channel (ARCHITECTURE invariant 7). Advanced in
-- the same transaction as the handler's effects, so an event takes effect exactly once; the
-- row lock (FOR UPDATE) makes the consumers of one group apply a channel one at a time, in order.
CREATE TABLE consumer_offset (
  group_name  text        NOT NULL,
  channel     text        NOT NULL,
  applied_seq bigint      NOT NULL CHECK (applied_seq >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_name, channel)
);

-- Events a group gave up on after maxDeliveries (or that failed validation). The group's
-- offset moves past them; `recio dlq replay` asks the group to run its handler on one again.
CREATE TABLE dead_letter (
  id              bigserial   PRIMARY KEY,
  group_name      text        NOT NULL,
  event_id        uuid        NOT NULL,
  channel         text        NOT NULL,
  seq             bigint      NOT NULL,
  type            text        NOT NULL,
  deliveries      integer     NOT NULL,
  error_code      text        NOT NULL,
  error           text        NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  redrive_requested_at timestamptz,
  redriven_at     timestamptz,
  CONSTRAINT dead_letter_group_event UNIQUE (group_name, event_id)
);
CREATE INDEX dead_letter_pending_redrive ON dead_letter (group_name) WHERE redrive_requested_at IS NOT NULL AND redriven_at IS NULL;

-- Down Migration
DROP TABLE dead_letter;
DROP TABLE consumer_offset;
