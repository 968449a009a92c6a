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
 * Events of the `system` class. The router's dead-letter path publishes its own type here
 * (`consumer.dead_letter`), so consumers of this class accept unknown types.
 */
export const SystemEvent = z.discriminatedUnion('type', [
  /** Fires when a watched component changes state. */
  z.object({ type: z.literal('health.changed'), data: HealthChange }),
]);
export type SystemEvent = z.infer<typeof SystemEvent>;
