import { NOTICE_WITHHELD } from '@recio/platform';
import { parseInput } from '@recio/service-kit';
import { z } from 'zod';
import { principalOf, readUser } from '../auth.js';
import type { GatewayHub } from '../gateway/hub.js';
import { traderViewOf } from '../system-view.js';
import type { TraderViews } from '../trader-view.js';
import { UserQuery, type Api } from './api.js';

const SnapshotQuery = UserQuery.extend({ fresh: z.literal('1').optional() });

/**
 * GET /snapshot: what a trader's page starts from, each part with the seq of its channel (the page
 * subscribes from there): trades, account, positions and settings from the Redis cache of trader
 * views (PostgreSQL only on a miss, or with `?fresh=1`), and the platform's current health from
 * the gateway hub's memory, as this caller may see it. The price and the strike table come over
 * the socket (the hub holds their newest events).
 */
export function registerSnapshotRoutes(api: Api, deps: { views: TraderViews; hub: GatewayHub }): void {
  api.get('/snapshot', async (req) => {
    const principal = principalOf(req);
    const q = parseInput(SnapshotQuery, req.query, 'query');
    const { view, source } = await deps.views.get(readUser(principal, q.user), { fresh: q.fresh === '1' });
    const health = deps.hub.health();
    const visible = principal.admin
      ? health.events
      : health.events.map((e) => traderViewOf(e, principal.userId)).filter((e) => e.type !== NOTICE_WITHHELD);
    return { ...view, health: { seq: health.seq, changes: visible.map((e) => e.data) }, source };
  });
}
