import { DEFAULT_SETTINGS, parseSettingsPatch, type Settings } from '@recio/domain';
import type { SettingsUpdated } from '@recio/platform';
import type { PlatformTransaction, Reader } from '../platform-events.js';
import type { Logger } from 'pino';

/**
 * A service's copy of the users' settings, kept from `settings:<user>` events inside its handler
 * transactions (table `settings_copy`, one row per consumer and user). Versions only go up, so a
 * replayed older event changes nothing.
 */
export class SettingsCopy {
  readonly #consumer: string;
  readonly #logger: Logger;

  constructor(consumer: string, logger: Logger) {
    this.#consumer = consumer;
    this.#logger = logger;
  }

  /** Applies a `settings.updated` event. */
  async apply(tx: PlatformTransaction, update: SettingsUpdated): Promise<void> {
    await tx.query(
      `INSERT INTO settings_copy (consumer, user_id, settings, version) VALUES ($1, $2, $3, $4)
       ON CONFLICT (consumer, user_id) DO UPDATE SET settings = EXCLUDED.settings, version = EXCLUDED.version
        WHERE settings_copy.version < EXCLUDED.version`,
      [this.#consumer, update.userId, JSON.stringify(update.settings), update.version],
    );
  }

  /** Every user's settings as this service has applied them, validated and completed with defaults. */
  async all(tx: Reader): Promise<Map<string, Settings>> {
    const { rows } = await tx.query<{ user_id: string; settings: unknown }>(
      'SELECT user_id, settings FROM settings_copy WHERE consumer = $1 ORDER BY user_id',
      [this.#consumer],
    );
    const out = new Map<string, Settings>();
    for (const row of rows) {
      const parsed = parseSettingsPatch(DEFAULT_SETTINGS, row.settings);
      if (parsed.ok) out.set(row.user_id, parsed.settings);
      else
        this.#logger.error(
          { userId: row.user_id, errors: parsed.errors },
          'stored settings do not validate; user skipped',
        );
    }
    return out;
  }
}
