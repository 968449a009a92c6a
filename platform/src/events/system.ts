import {
  DEAD_LETTER_NOTICE,
  STREAM_REPAIRED_NOTICE,
  type DeadLetterNotice,
  type StreamRepairedNotice,
} from '@recio/contract';
import { z } from 'zod';

/** `health.changed` on `system:health`: a component changed state (exchange, feed, settlement, ...). */
export const HealthChange = z.object({
  component: z.string().min(1),
  status: z.enum(['up', 'degraded', 'down', 'paused']),
  previous: z.enum(['up', 'degraded', 'down', 'paused']).nullable(),
  detail: z.string(),
  latencyMs: z.number().nonnegative().nullable().optional(),
  at: z.number().int().nonnegative(),
});
export type HealthChange = z.infer<typeof HealthChange>;

/**
 * `consumer.dead_letter` on `system:health`: a consumer group gave up on an event after its
 * deliveries (or at once, for an event that fails its schema) and moved past it. Published by the
 * router itself (@recio/contract's DeadLetterNotice), in the transaction that records the dead letter.
 */
export const DeadLetterNoticeData = z.object({
  group: z.string().min(1),
  consumer: z.string().min(1),
  channel: z.string().min(1),
  seq: z.number().int().positive(),
  event_id: z.string().min(1),
  type: z.string().min(1),
  deliveries: z.number().int().nonnegative(),
  error_code: z.string().min(1),
  error: z.string(),
}) satisfies z.ZodType<DeadLetterNotice>;

/** `stream.repaired` on `system:health`: the relay removed entries the router did not write from a stream. */
export const StreamRepairedData = z.object({
  channel: z.string().min(1),
  head: z.number().int().nonnegative(),
  removed: z.number().int().nonnegative(),
  groupsReset: z.number().int().nonnegative(),
}) satisfies z.ZodType<StreamRepairedNotice>;

/** Events of the `system` class: every type published on `system:*`, the router's own included. */
export const SystemEvent = z.discriminatedUnion('type', [
  /** Fires when a watched component changes state. */
  z.object({ type: z.literal('health.changed'), data: HealthChange }),
  /** Fires when a consumer group dead-letters an event. */
  z.object({ type: z.literal(DEAD_LETTER_NOTICE), data: DeadLetterNoticeData }),
  /** Fires when the relay finds a stream ahead of PostgreSQL and repairs it. */
  z.object({ type: z.literal(STREAM_REPAIRED_NOTICE), data: StreamRepairedData }),
]);
export type SystemEvent = z.infer<typeof SystemEvent>;
