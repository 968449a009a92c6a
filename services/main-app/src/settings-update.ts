import { channelOf } from '@recio/contract';
import { parseSettingsPatch, type Settings } from '@recio/domain';
import { parseEvent } from '@recio/platform';
import type { PlatformRouter } from '@recio/service-kit';
import { SettingsRejectedError } from './errors.js';
import { insertSettings, lockSettings, updateSettings, type VersionedSettings } from './settings-store.js';

/** What {@link updateUserSettings} did. */
export interface SettingsUpdate extends VersionedSettings {
  /** False when the patch changed nothing: no write, no event. */
  changed: boolean;
}

/**
 * Applies a settings patch (untrusted JSON) in one transaction: locks the user's row, merges
 * and validates the patch against it (@recio/domain's parseSettingsPatch), stores version + 1
 * and publishes `settings.updated` on `settings:<user>` with the whole document. Concurrent
 * patches of one user queue on the row lock, so none is lost. Throws SettingsRejectedError
 * (nothing written) when the patch is invalid.
 */
export async function updateUserSettings(
  router: PlatformRouter,
  userId: string,
  patch: unknown,
): Promise<SettingsUpdate> {
  const { value } = await router.transaction(async (tx) => {
    // At most two rounds: a first patch racing another first patch loses the insert, then
    // finds (and locks) the row the winner committed — READ COMMITTED reads it in the next statement.
    for (;;) {
      const current = await lockSettings(tx, userId);
      const result = parseSettingsPatch(current.settings, patch);
      if (!result.ok) throw new SettingsRejectedError(result.errors);
      if (sameSettings(current.settings, result.settings)) return { ...current, changed: false };
      const version = current.version + 1;
      if (current.version === 0) {
        if (!(await insertSettings(tx, userId, result.settings))) continue;
      } else {
        await updateSettings(tx, userId, result.settings, version);
      }
      const channel = channelOf('settings', userId);
      const data = { userId, version, settings: result.settings };
      parseEvent(channel, { type: 'settings.updated', data }); // refused here, not by a consumer
      tx.publish(channel, 'settings.updated', data);
      return { settings: result.settings, version, changed: true };
    }
  });
  return value;
}

function sameSettings(a: Settings, b: Settings): boolean {
  const groups = ['autoEntry', 'autoStop'] as const;
  return groups.every((g) => {
    const x = a[g] as unknown as Record<string, unknown>;
    const y = b[g] as unknown as Record<string, unknown>;
    return Object.keys(y).every((k) => Object.is(x[k], y[k]));
  });
}
