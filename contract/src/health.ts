/**
 * The health channel and the router's own notice on it. Services publish `health.changed` there;
 * the router publishes a dead-letter notice there whenever a group gives up on an event. The platform's
 * event catalogue (@recio/platform, `system` class) validates both.
 */

/** Where health events go (a `system` class channel). */
export const HEALTH_CHANNEL = 'system:health';

/** The event type of a dead-letter notice. */
export const DEAD_LETTER_NOTICE = 'consumer.dead_letter';

/** The data of a dead-letter notice: a group gave up on one event and moved past it. */
export interface DeadLetterNotice {
  group: string;
  /** The member that gave up. */
  consumer: string;
  channel: string;
  seq: number;
  event_id: string;
  /** The type of the event given up on. */
  type: string;
  deliveries: number;
  /** EVENT_INVALID, HANDLER_FAILED or the handler error's own code. */
  error_code: string;
  /** The error's message, at most 500 characters. */
  error: string;
}

/** The event type of the relay's notice that it repaired a stream ahead of PostgreSQL. */
export const STREAM_REPAIRED_NOTICE = 'stream.repaired';

/**
 * The data of a stream-repaired notice: a channel's stream held entries above the channel's
 * committed head (something other than the router wrote it); the relay removed them, moved back the
 * consumer groups delivered past the real end and appended what was missing.
 */
export interface StreamRepairedNotice {
  channel: string;
  /** The channel's committed head in PostgreSQL. */
  head: number;
  /** Entries removed from above the head. */
  removed: number;
  /** Consumer groups moved back. */
  groupsReset: number;
}
