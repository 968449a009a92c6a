import { parseInput, type PlatformRouter } from '@recio/service-kit';
import { principalOf, readUser, writeUser } from '../auth.js';
import type { Db } from '../db.js';
import { SettingsRejectedError } from '../errors.js';
import { readSettings } from '../settings-store.js';
import { updateUserSettings } from '../settings-update.js';
import { UserQuery, type Api } from './api.js';

/** GET and PATCH of the authenticated user's auto-entry and auto-stop settings. */
export function registerSettingsRoutes(api: Api, deps: { db: Db; router: PlatformRouter }): void {
  api.get('/settings', async (req) => {
    const userId = readUser(principalOf(req), parseInput(UserQuery, req.query, 'query').user);
    return readSettings(deps.db, userId);
  });

  api.patch('/settings', async (req, reply) => {
    const userId = writeUser(principalOf(req), parseInput(UserQuery, req.query, 'query').user);
    try {
      const { settings, version } = await updateUserSettings(deps.router, userId, req.body);
      return { settings, version };
    } catch (err) {
      // Every field error goes back at once, so a form can mark them all.
      if (err instanceof SettingsRejectedError)
        return reply.code(400).send({ error: { code: err.code, message: err.message, fields: err.fields } });
      throw err;
    }
  });
}
