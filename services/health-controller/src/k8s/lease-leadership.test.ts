import { setTimeout as sleep } from 'node:timers/promises';
import { until } from '@recio/test-support';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeApiServer } from '../../test/fake-api-server.js';
import { LeaseLeadership } from './lease-leadership.js';

// Leader election against the fake API server (test/fake-api-server.ts: no API server can run
// here), through client-node and a real KubeConfig, with short durations: a 2 s lease, a 1.2 s
// renew deadline.
const NS = 'recio';
const DURATION_MS = 2_000;
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

describe('LeaseLeadership', () => {
  let server: FakeApiServer;
  const leases: LeaseLeadership[] = [];
  beforeEach(async () => {
    server = await FakeApiServer.start();
  });
  afterEach(async () => {
    server.intercept(undefined);
    await server.close();
    leases.length = 0;
  });

  const lease = (identity: string) => {
    const l = new LeaseLeadership({
      kubeConfig: server.kubeConfig(identity),
      namespace: NS,
      identity,
      logger,
      leaseDurationSeconds: DURATION_MS / 1000,
      renewDeadlineMs: 1_200,
      retryPeriodMs: 100,
    });
    leases.push(l);
    return l;
  };
  const spec = () => server.object('Lease', NS, 'health-controller')?.spec as Record<string, unknown>;
  /** Successful Lease writes (create or update) by `identity`, as the server saw them. */
  const writes = (identity: string) =>
    server.requests.filter(
      (r) =>
        r.identity === identity && r.resource === 'leases' && ['create', 'update'].includes(r.verb) && r.status < 300,
    );

  it('creates the Lease when there is none, then renews it: renewTime moves, acquireTime and transitions stay', async () => {
    const a = lease('a');
    expect(a.held).toBe(false);
    expect(await a.tryAcquire()).toBe(true);
    expect(a.held).toBe(true);
    const first = spec();
    // MicroTimes with six fractional digits: the fake, like the API server, refuses others (400).
    expect(first).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 2, leaseTransitions: 0 });
    expect(first.renewTime).toMatch(/\.\d{6}Z$/);
    await sleep(150);
    expect(await a.tryAcquire()).toBe(true);
    const second = spec();
    expect(second.acquireTime).toBe(first.acquireTime);
    expect(second.leaseTransitions).toBe(0);
    expect(Date.parse(second.renewTime as string)).toBeGreaterThan(Date.parse(first.renewTime as string));
    expect(writes('a').map((w) => w.verb)).toEqual(['create', 'update']);
  });

  it('leaves the Lease to a holder that renews it, and takes it over only after seeing no renewal for the lease duration', async () => {
    const a = lease('a');
    const b = lease('b');
    await a.tryAcquire();
    const renewUntil = Date.now() + DURATION_MS + 500;
    while (Date.now() < renewUntil) {
      expect(await b.tryAcquire()).toBe(false);
      expect(await a.tryAcquire()).toBe(true);
      await sleep(100);
    }
    // a stops renewing (its replica died).
    const lastRenewal = writes('a').at(-1)!.at;
    await until('b leads', async () => b.tryAcquire(), { timeoutMs: 5_000, intervalMs: 50 });
    expect(writes('b')[0]!.at - lastRenewal).toBeGreaterThanOrEqual(DURATION_MS);
    expect(spec()).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    // a, back, finds b holding a fresh Lease.
    expect(await a.tryAcquire()).toBe(false);
    expect(a.held).toBe(false);
  });

  it.each(['create', 'update'] as const)(
    'lets exactly one of two racing replicas lead: the %s that comes second is a 409 and does not lead',
    async (verb) => {
      const a = lease('a');
      const b = lease('b');
      if (verb === 'update') {
        // A released Lease: anyone may take it at once.
        const c = lease('c');
        await c.tryAcquire();
        await c.release();
      }
      // b reads first, but its write arrives after a has read and written.
      server.intercept((r) => (r.identity === 'b' && r.verb === verb ? { delayMs: 300 } : undefined));
      const pb = b.tryAcquire();
      await until('b read the Lease', () => server.requests.some((r) => r.identity === 'b' && r.resource === 'leases'));
      const [won, lost] = await Promise.all([a.tryAcquire(), pb]);
      expect([won, lost]).toEqual([true, false]);
      expect([a.held, b.held]).toEqual([true, false]);
      expect(server.requests.filter((r) => r.identity === 'b' && r.verb === verb).map((r) => r.status)).toEqual([409]);
      expect(spec()).toMatchObject({ holderIdentity: 'a' });
    },
  );

  it('a holder whose renewal is a 409 (the Lease was written since it read it) stops leading at once', async () => {
    const a = lease('a');
    await a.tryAcquire();
    await sleep(150);
    server.intercept((r) => (r.identity === 'a' && r.verb === 'update' ? { delayMs: 300 } : undefined));
    const reads = server.requests.filter((r) => r.verb === 'get').length;
    const renewal = a.tryAcquire();
    await until('a read the Lease', () => server.requests.filter((r) => r.verb === 'get').length > reads);
    const current = server.object('Lease', NS, 'health-controller')!;
    server.apply({ ...current, spec: { ...(current.spec as object), holderIdentity: 'someone-else' } });
    expect(await renewal).toBe(false);
    // Well within its renew deadline, yet it no longer leads.
    expect(a.held).toBe(false);
    expect(server.requests.filter((r) => r.identity === 'a' && r.verb === 'update').map((r) => r.status)).toEqual([
      409,
    ]);
  });

  it.each([
    ['refused (500)', { code: 500, reason: 'InternalError' }],
    ['never answered (a partition)', 'hang'],
  ] as const)(
    'stops leading before its lease could be taken over when its renewals are %s',
    async (_, interception) => {
      const a = lease('a');
      const b = lease('b');
      expect(await a.tryAcquire()).toBe(true);
      expect(await b.tryAcquire()).toBe(false);
      const lastRenewal = writes('a').at(-1)!.at;
      server.intercept((r) => (r.identity === 'a' && r.resource === 'leases' ? interception : undefined));
      let stoppedAt = 0;
      let takenAt = 0;
      while (takenAt === 0) {
        // a keeps trying (without waiting on a hung call: tryAcquire is one attempt at a time).
        void a.tryAcquire();
        if (!a.held && stoppedAt === 0) stoppedAt = Date.now();
        if (await b.tryAcquire()) takenAt = writes('b')[0]!.at;
        expect(a.held && b.held).toBe(false);
        await sleep(20);
      }
      expect(stoppedAt).toBeGreaterThan(0);
      expect(stoppedAt).toBeLessThan(lastRenewal + DURATION_MS);
      expect(takenAt).toBeGreaterThanOrEqual(lastRenewal + DURATION_MS);
      expect(spec()).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    },
    10_000,
  );

  it('release() empties the holder, and another replica takes the Lease at once', async () => {
    const a = lease('a');
    const b = lease('b');
    await a.tryAcquire();
    expect(await b.tryAcquire()).toBe(false);
    await a.release();
    expect(a.held).toBe(false);
    expect(spec()).toMatchObject({ holderIdentity: '' });
    const released = Date.now();
    expect(await b.tryAcquire()).toBe(true);
    expect(Date.now() - released).toBeLessThan(DURATION_MS);
    expect(spec()).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    await a.release(); // idempotent: a holds nothing, changes nothing
    expect(spec()).toMatchObject({ holderIdentity: 'b' });
  });
});
