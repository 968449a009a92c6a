import type { PlatformTransaction } from '@recio/service-kit';
import { createTestDatabase, testRouter, uniqueName, until, type TestDatabase } from '@recio/test-support';
import type { EventRouter } from '@recio/router';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEntryView, saveEntries, type EntryView } from './entry-state.js';

// The entry state two replicas decide under, against a real PostgreSQL: what one replica entered
// is what the other decides with, from a user's very first entry on.
describe('the auto-entry state', () => {
  let db: TestDatabase;
  let router: EventRouter;

  beforeAll(async () => {
    db = await createTestDatabase({ redisUrl: null });
    router = await testRouter(db.url);
  });
  afterAll(async () => {
    await router?.close();
    await db?.drop();
  });

  it("makes a new user's second decider wait for the first, and decide with its entry (regression: a lock on no row let two replicas enter the same market)", async () => {
    const user = uniqueName('user_');
    const entry = {
      tradeId: randomUUID(),
      userId: user,
      marketTicker: 'KXBTCD-25JUL1621-T99999.99',
      side: 'yes' as const,
    };
    let loaded!: () => void;
    const firstLoaded = new Promise<void>((resolve) => (loaded = resolve));
    let commit!: () => void;
    const mayCommit = new Promise<void>((resolve) => (commit = resolve));
    // The first replica: the user has no row yet; it enters a market and holds its transaction open.
    const first = router.transaction(async (tx) => {
      const view = await loadEntryView(tx, [user]);
      expect(view.states.get(user)!.lastEntries).toEqual({});
      view.states.get(user)!.lastEntries = { [entry.marketTicker]: 1_000 };
      await saveEntries(tx as unknown as PlatformTransaction, view.states, [entry]);
      loaded();
      await mayCommit;
    });
    await firstLoaded;
    // The second replica decides the same user meanwhile.
    let seen: EntryView | undefined;
    const second = router.transaction(async (tx) => {
      seen = await loadEntryView(tx, [user]);
    });
    await until('the second waits for the first, or has decided already', async () => {
      if (seen) return true;
      const { rows } = await router.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      return rows[0]!.n > 0 ? true : undefined;
    });
    commit();
    await first;
    await second;
    const view = seen!;
    // It decides with the first one's entry: the market's cooldown and live trade stop a second entry.
    expect(view.states.get(user)!.lastEntries).toEqual({ [entry.marketTicker]: 1_000 });
    expect([...view.live.get(user)!]).toEqual([`${entry.marketTicker}:yes`]);
  });
});
