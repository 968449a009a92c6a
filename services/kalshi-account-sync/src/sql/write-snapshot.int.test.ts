import type { FillRecord } from '@recio/platform';
import type { EventRouter } from '@recio/router';
import { createTestDatabase, testRouter, type TestDatabase } from '@recio/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountSnapshot } from '../exchange-reader.js';
import { readSyncCursors } from './sync-cursors.js';
import { writeSnapshot, type SnapshotWrite } from './write-snapshot.js';

const USER = 'user_ws';
const T0 = Date.parse('2025-07-16T20:00:00Z');
const fill = (fillId: string, ticker: string, at: number): FillRecord => ({
  fillId,
  orderId: `o-${fillId}`,
  ticker,
  side: 'yes',
  action: 'buy',
  count: 2,
  yesPrice: 40,
  noPrice: 60,
  isTaker: true,
  feeCents: 1,
  createdAt: at,
});
const order = (orderId: string, ticker: string, status: string) => ({
  orderId,
  clientOrderId: `c-${orderId}`,
  ticker,
  side: 'yes',
  action: 'buy',
  status,
  yesPrice: 40,
  noPrice: 60,
  fillCount: status === 'executed' ? 2 : 0,
  feesCents: null,
  createdAt: T0,
});
const position = (ticker: string, count: number) => ({
  ticker,
  position: count,
  marketExposureCents: count * 40,
  realizedPnlCents: 0,
  feesPaidCents: 1,
});

describe('writeSnapshot', () => {
  let db: TestDatabase;
  let router: EventRouter;
  beforeAll(async () => {
    db = await createTestDatabase();
    router = await testRouter(db.url);
  });
  afterAll(async () => {
    await router?.close();
    await db?.drop();
  });

  /** Writes `snapshot` in a transaction of its own, counting the statements it sends. */
  const write = async (snapshot: AccountSnapshot): Promise<{ written: SnapshotWrite; statements: number }> => {
    let statements = 0;
    const { value } = await router.transaction((tx) =>
      writeSnapshot(
        {
          query: ((...args: Parameters<typeof tx.query>) => {
            statements++;
            return tx.query(...args);
          }) as typeof tx.query,
        },
        USER,
        snapshot,
      ),
    );
    // The cursors it returns are what a read after the commit finds.
    const read = await readSyncCursors(router.pool, USER);
    const sorted = (c: typeof read) => ({ ...c, restingOrderTickers: [...c.restingOrderTickers].sort() });
    expect(sorted(value.cursors)).toEqual(sorted(read));
    return { written: value, statements };
  };
  const withoutCursors = ({ cursors: _, ...rest }: SnapshotWrite) => rest;
  const rows = async (sql: string) => (await router.pool.query(sql, [USER])).rows;

  it('stores a snapshot in one statement and returns what is new or changed, nothing for a repeat', async () => {
    const first: AccountSnapshot = {
      balanceCents: 10_000,
      positions: [position('KX-B', 3), position('KX-A', 2)],
      fills: [fill('f1', 'KX-A', T0), fill('f2', 'KX-B', T0 + 1)],
      settlements: [],
      orders: [order('o1', 'KX-A', 'resting'), order('o2', 'KX-B', 'executed')],
    };
    const a = await write(first);
    expect(a.statements).toBe(1);
    expect(withoutCursors(a.written)).toEqual({
      insertedFills: new Set(['f1', 'f2']),
      changedPositions: [position('KX-A', 2), position('KX-B', 3)],
      insertedSettlements: new Set(),
      changedOrders: 2,
      balanceChanged: true,
    });

    // The same snapshot again (a resync that finds nothing new) changes nothing.
    expect(withoutCursors((await write(first)).written)).toEqual({
      insertedFills: new Set(),
      changedPositions: [],
      insertedSettlements: new Set(),
      changedOrders: 0,
      balanceChanged: false,
    });

    // B settled: the exchange no longer lists it (flattened), A grew, o1 executed.
    const second: AccountSnapshot = {
      balanceCents: 10_300,
      positions: [position('KX-A', 4)],
      fills: [fill('f2', 'KX-B', T0 + 1), fill('f3', 'KX-A', T0 + 2)],
      settlements: [
        { ticker: 'KX-B', marketResult: 'yes', yesCount: 3, noCount: 0, revenueCents: 300, settledAt: T0 + 3 },
      ],
      orders: [order('o1', 'KX-A', 'executed'), order('o2', 'KX-B', 'executed')],
    };
    expect(a.written.cursors).toEqual({
      newestFillAt: T0 + 1,
      newestSettlementAt: null,
      restingOrderTickers: ['KX-A'],
    });
    const b = await write(second);
    expect(b.statements).toBe(1);
    // o1 executed: nothing rests; the settlement and f3 are the newest.
    expect(b.written.cursors).toEqual({ newestFillAt: T0 + 2, newestSettlementAt: T0 + 3, restingOrderTickers: [] });
    expect(withoutCursors(b.written)).toEqual({
      insertedFills: new Set(['f3']),
      changedPositions: [
        position('KX-A', 4),
        { ticker: 'KX-B', position: 0, marketExposureCents: 0, realizedPnlCents: 0, feesPaidCents: 1 },
      ],
      insertedSettlements: new Set(['KX-B']),
      changedOrders: 1,
      balanceChanged: true,
    });

    expect(await rows('SELECT fill_id FROM account_fill WHERE user_id = $1 ORDER BY fill_id')).toEqual(
      ['f1', 'f2', 'f3'].map((fill_id) => ({ fill_id })),
    );
    expect(await rows('SELECT ticker, position FROM account_position WHERE user_id = $1 ORDER BY ticker')).toEqual([
      { ticker: 'KX-A', position: 4 },
      { ticker: 'KX-B', position: 0 },
    ]);
    expect(await rows('SELECT order_id, status FROM account_order WHERE user_id = $1 ORDER BY order_id')).toEqual([
      { order_id: 'o1', status: 'executed' },
      { order_id: 'o2', status: 'executed' },
    ]);
    expect(await rows('SELECT ticker, revenue_cents FROM account_settlement WHERE user_id = $1')).toEqual([
      { ticker: 'KX-B', revenue_cents: '300' },
    ]);
    expect(await rows('SELECT balance_cents FROM account_balance WHERE user_id = $1')).toEqual([
      { balance_cents: '10300' },
    ]);
  });
});
