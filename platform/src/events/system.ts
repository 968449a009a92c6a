import {
  DEAD_LETTER_NOTICE,
  STREAM_REPAIRED_NOTICE,
  type DeadLetterNotice,
  type StreamRepairedNotice,
} from '@recio/contract';
import { z } from 'zod';

/**
 * The components whose state every trader sees on `system:health` (the exchange's, its trading and
 * the price feed's); other components' notices reach only the trader they name (`userId`), or no
 * trader (main-app's trader view).
 */
export const PUBLIC_HEALTH_COMPONENTS = ['exchange', 'trading', 'price-feed'] as const;

/**
 * `health.changed` on `system:health`: a component changed state (exchange, feed, settlement, ...;
 * `spike-guard` with a userId: that trader's auto entry paused by a momentum spike, or resumed).
 */
export const HealthChange = z.object({
  component: z.string().min(1),
  /** The trader the notice is about (a trade of theirs); absent for a platform-wide state. */
  userId: z.string().min(1).optional(),
  status: z.enum(['up', 'degraded', 'down', 'paused']),
  previous: z.enum(['up', 'degraded', 'down', 'paused']).nullable(),
  detail: z.string(),
  latencyMs: z.number().nonnegative().nullable().optional(),
  /** A paused component's resume time if nothing changes (the spike guard's count); null while not counting. */
  resumesAt: z.number().int().nonnegative().nullable().optional(),
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

/**
 * `notice.withheld`: what a trader reads in place of a `system:health` event that is not theirs to
 * see (another trader's notice, an internal error), keeping the channel's seq gapless for them.
 * Never published; made by main-app's trader view.
 */
export const NOTICE_WITHHELD = 'notice.withheld';

/** Events of the `system` class: every type published on `system:*`, the router's own included. */
export const SystemEvent = z.discriminatedUnion('type', [
  /** Fires when a watched component changes state. */
  z.object({ type: z.literal('health.changed'), data: HealthChange }),
  /** Fires when a consumer group dead-letters an event. */
  z.object({ type: z.literal(DEAD_LETTER_NOTICE), data: DeadLetterNoticeData }),
  /** Fires when the relay finds a stream ahead of PostgreSQL and repairs it. */
  z.object({ type: z.literal(STREAM_REPAIRED_NOTICE), data: StreamRepairedData }),
  /** A trader's view only: the event of this seq is not theirs to see. */
  z.object({ type: z.literal(NOTICE_WITHHELD), data: z.object({}).strict() }),
]);
export type SystemEvent = z.infer<typeof SystemEvent>;
