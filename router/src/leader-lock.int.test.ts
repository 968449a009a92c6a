import { FreezingProxy, createTestDatabase, type TestDatabase } from '@recio/test-support';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderLock } from './leader-lock.js';

// A holder cut off by the network (a TCP proxy that stops forwarding, both sockets left open: what
// a partition looks like) must learn it lost the lock by itself, within the time it checks in.

describe('LeaderLock', () => {
  let db: TestDatabase;
  const logger = pino({ level: 'silent' });
  beforeAll(async () => {
    db = await createTestDatabase({ redisUrl: null });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('lets one holder lead; a holder cut off by the network finds out within deadHolderSeconds', async () => {
    const { proxy, url: viaProxy } = await FreezingProxy.inFrontOf(db.url);
    const key = [0x74657374, 7] as const;
    const cutOff = new LeaderLock({ databaseUrl: viaProxy, key, logger, deadHolderSeconds: 2 });
    const other = new LeaderLock({ databaseUrl: db.url, key, logger, deadHolderSeconds: 2 });
    try {
      expect(await cutOff.tryAcquire()).toBe(true);
      expect(await other.tryAcquire()).toBe(false);
      proxy.freeze();
      // Within its check interval it still believes it leads (no round trip yet) ...
      expect(await cutOff.tryAcquire()).toBe(true);
      // ... then its check does not answer within half of deadHolderSeconds: it lets go.
      await new Promise((r) => setTimeout(r, 600));
      expect(await cutOff.tryAcquire()).toBe(false);
      expect(cutOff.held).toBe(false);
    } finally {
      await cutOff.release();
      await other.release();
      await proxy.close();
    }
  }, 30_000);

  it('opens another connection after one that did not answer, so a standby cut off for a while can lead again', async () => {
    const { proxy, url: viaProxy } = await FreezingProxy.inFrontOf(db.url);
    const key = [0x74657374, 10] as const;
    const holder = new LeaderLock({ databaseUrl: db.url, key, logger });
    const standby = new LeaderLock({ databaseUrl: viaProxy, key, logger, deadHolderSeconds: 2 });
    try {
      expect(await holder.tryAcquire()).toBe(true);
      expect(await standby.tryAcquire()).toBe(false);
      proxy.freeze();
      // Its attempt goes unanswered (within half of deadHolderSeconds); that connection is done for.
      await expect(standby.tryAcquire()).rejects.toThrow(/timeout/i);
      proxy.thaw();
      await holder.release();
      expect(await standby.tryAcquire()).toBe(true);
    } finally {
      await holder.release();
      await standby.release();
      await proxy.close();
    }
  }, 30_000);

  it('takes one connection for calls made at once, so a release lets the next holder in', async () => {
    const key = [0x74657374, 8] as const;
    const lock = new LeaderLock({ databaseUrl: db.url, key, logger });
    const other = new LeaderLock({ databaseUrl: db.url, key, logger });
    try {
      expect(await Promise.all([lock.tryAcquire(), lock.tryAcquire(), lock.tryAcquire()])).toEqual([true, true, true]);
      await lock.release();
      expect(await other.tryAcquire()).toBe(true);
    } finally {
      await lock.release();
      await other.release();
    }
  });

  it("counts its round trips in recio_pg_statements_total, as a service's pool is counted", async () => {
    const key = [0x74657374, 9] as const;
    const registry = new Registry();
    const lock = new LeaderLock({
      databaseUrl: db.url,
      key,
      logger,
      deadHolderSeconds: 4,
      statements: { registry, source: 'lock-test' },
    });
    const counted = async () =>
      ((await registry.getSingleMetric('recio_pg_statements_total')?.get())?.values ?? [])
        .filter((v) => v.labels.source === 'lock-test')
        .map((v) => [v.labels.kind, v.value]);
    try {
      // The connection's keepalive settings, then the lock.
      expect(await lock.tryAcquire()).toBe(true);
      expect(await counted()).toEqual([['query', 2]]);
      // A holder asks again within a quarter of deadHolderSeconds: no round trip; after it, one.
      expect(await lock.tryAcquire()).toBe(true);
      expect(await counted()).toEqual([['query', 2]]);
      await new Promise((r) => setTimeout(r, 1_100));
      expect(await lock.tryAcquire()).toBe(true);
      expect(await counted()).toEqual([['query', 3]]);
    } finally {
      await lock.release();
    }
  });
});
