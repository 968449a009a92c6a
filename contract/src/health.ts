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
