import { HttpError, parseInput, type PlatformRouter } from '@recio/service-kit';
import { HEALTH_CHANNEL } from '@recio/contract';
import { errorCode } from '@recio/router';
import { z } from 'zod';
import { principalOf } from '../auth.js';
import { mayReadChannel, Since } from '../replay-access.js';
import { traderViewOf } from '../system-view.js';
import type { Api } from './api.js';

const ReplayQuery = z.object({
  channel: z.string().regex(/^[a-z][a-z0-9_]{0,31}:[A-Za-z0-9_.-]{1,128}$/, 'expected <class>:<name>'),
  since: Since,
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

// The router's refusals of a replay, by code; anything else is a 500.
const REPLAY_ERRORS: Record<string, number> = { REPLAY_EXPIRED: 410, INVALID_REPLAY: 400, INVALID_CHANNEL: 400 };

/**
 * GET /replay: a page of one channel's history (router.replay: Redis when the range is there,
 * PostgreSQL otherwise), for clients catching up. Traders read their own and the shared channels,
 * and `system:health` as their view of it (system-view.ts).
 */
export function registerReplayRoutes(api: Api, router: PlatformRouter): void {
  api.get('/replay', async (req) => {
    const q = parseInput(ReplayQuery, req.query, 'query');
    if (!mayReadChannel(principalOf(req), q.channel))
      throw new HttpError(403, 'FORBIDDEN_CHANNEL', `${q.channel} is not yours to read`);
    const principal = principalOf(req);
    try {
      const page = await router.replay(q.channel, { ...q.since, limit: q.limit });
      if (principal.admin || q.channel !== HEALTH_CHANNEL) return page;
      return { ...page, events: page.events.map((e) => traderViewOf(e, principal.userId)) };
    } catch (err) {
      const code = errorCode(err);
      const status = REPLAY_ERRORS[code];
      if (status !== undefined) throw new HttpError(status, code, (err as Error).message, { cause: err });
      throw err;
    }
  });
}
