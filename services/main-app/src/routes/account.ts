import { parseInput } from '@recio/service-kit';
import { listFills, listPositions, listSettlements, readBalance } from '../account-query.js';
import { principalOf, readUser } from '../auth.js';
import { Cursor, PageLimit } from '../cursor.js';
import type { Db } from '../db.js';
import { UserQuery, type Api } from './api.js';

const PageQuery = UserQuery.extend({ limit: PageLimit, before: Cursor.optional() });

/** The exchange account as kalshi-account-sync mirrors it: balance, positions, fills, settlements. */
export function registerAccountRoutes(api: Api, db: Db): void {
  const userOf = (req: { query: unknown }): string =>
    readUser(principalOf(req), parseInput(UserQuery, req.query, 'query').user);

  api.get('/account', async (req) => readBalance(db, userOf(req)));

  api.get('/positions', async (req) => ({ positions: await listPositions(db, userOf(req)) }));

  api.get('/fills', async (req) => {
    const q = parseInput(PageQuery, req.query, 'query');
    const page = await listFills(db, {
      userId: readUser(principalOf(req), q.user),
      limit: q.limit,
      before: q.before ?? null,
    });
    return { fills: page.items, nextBefore: page.nextBefore };
  });

  api.get('/settlements', async (req) => {
    const q = parseInput(PageQuery, req.query, 'query');
    const page = await listSettlements(db, {
      userId: readUser(principalOf(req), q.user),
      limit: q.limit,
      before: q.before ?? null,
    });
    return { settlements: page.items, nextBefore: page.nextBefore };
  });
}
