import { z } from 'zod';

/** `settings.updated` on `settings:<user>`: the user's whole settings document after a change. */
export const SettingsUpdated = z.object({
  userId: z.string().min(1),
  version: z.number().int().positive(),
  /** Validated by @recio/domain's settings parser before it is published. */
  settings: z.record(z.string(), z.unknown()),
});
export type SettingsUpdated = z.infer<typeof SettingsUpdated>;

/** Every event type of the `settings` class. */
export const SettingsEvent = z.discriminatedUnion('type', [
  /** Fires when a user's auto-entry or auto-stop settings change. */
  z.object({ type: z.literal('settings.updated'), data: SettingsUpdated }),
]);
export type SettingsEvent = z.infer<typeof SettingsEvent>;
