import { DEFAULT_SETTINGS, parseSettingsPatch, type Settings } from '@recio/domain';
import { z } from 'zod';

/** `settings.updated` on `settings:<user>`: the user's whole settings document after a change. */
export const SettingsUpdated = z.object({
  userId: z.string().min(1),
  version: z.number().int().positive(),
  /** A whole settings document, as @recio/domain's settings parser accepts it. */
  settings: z.custom<Settings>(
    (value) => typeof value === 'object' && value !== null && parseSettingsPatch(DEFAULT_SETTINGS, value).ok,
    'not a settings document',
  ),
});
export type SettingsUpdated = z.infer<typeof SettingsUpdated>;

/** Every event type of the `settings` class. */
export const SettingsEvent = z.discriminatedUnion('type', [
  /** Fires when a user's auto-entry or auto-stop settings change. */
  z.object({ type: z.literal('settings.updated'), data: SettingsUpdated }),
]);
export type SettingsEvent = z.infer<typeof SettingsEvent>;
