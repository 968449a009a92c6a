import { DEFAULT_SETTINGS, type Settings } from '@recio/domain';
import type { Db } from './db.js';

/** A user's settings and their version (0: never changed, the defaults). */
export interface VersionedSettings {
  settings: Settings;
  version: number;
}

interface SettingsRow {
  settings: Partial<Record<keyof Settings, Record<string, unknown>>>;
  version: string;
}

// The stored document over the defaults, group by group: a field added to the domain after a
// user last saved reads as its default instead of missing.
function withDefaults(stored: SettingsRow['settings']): Settings {
  return {
    autoEntry: { ...DEFAULT_SETTINGS.autoEntry, ...stored.autoEntry },
    autoStop: { ...DEFAULT_SETTINGS.autoStop, ...stored.autoStop },
  };
}

function toVersioned(row: SettingsRow | undefined): VersionedSettings {
  if (!row) return { settings: withDefaults({}), version: 0 };
  return { settings: withDefaults(row.settings), version: Number(row.version) };
}

/** A user's settings, or the defaults at version 0. */
export async function readSettings(db: Db, userId: string): Promise<VersionedSettings> {
  const { rows } = await db.query<SettingsRow>('SELECT settings, version FROM user_settings WHERE user_id = $1', [
    userId,
  ]);
  return toVersioned(rows[0]);
}

/** Like {@link readSettings}, the row locked until the transaction ends (no row: nothing locked). */
export async function lockSettings(tx: Db, userId: string): Promise<VersionedSettings> {
  const { rows } = await tx.query<SettingsRow>(
    'SELECT settings, version FROM user_settings WHERE user_id = $1 FOR UPDATE',
    [userId],
  );
  return toVersioned(rows[0]);
}

/**
 * Stores a user's first settings at version 1; false when another transaction stored them
 * first (the insert waits for it to commit, then does nothing).
 */
export async function insertSettings(tx: Db, userId: string, settings: Settings): Promise<boolean> {
  const { rowCount } = await tx.query(
    'INSERT INTO user_settings (user_id, settings, version) VALUES ($1, $2, 1) ON CONFLICT (user_id) DO NOTHING',
    [userId, JSON.stringify(settings)],
  );
  return rowCount === 1;
}

/** Stores a user's settings at `version` (the caller holds the row lock). */
export async function updateSettings(tx: Db, userId: string, settings: Settings, version: number): Promise<void> {
  await tx.query('UPDATE user_settings SET settings = $2, version = $3, updated_at = now() WHERE user_id = $1', [
    userId,
    JSON.stringify(settings),
    version,
  ]);
}
