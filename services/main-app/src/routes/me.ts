import { principalOf } from '../auth.js';
import type { Api } from './api.js';

/** GET /me: who the token belongs to, so the UI can show it and offer admin views. */
export function registerMeRoutes(api: Api): void {
  api.get('/me', async (req) => {
    const { userId, admin } = principalOf(req);
    return { userId, admin };
  });
}
