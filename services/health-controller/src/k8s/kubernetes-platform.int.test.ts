import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { streamKey, type EventRouter } from '@recio/router';
import {
  FreezingProxy,
  createTestDatabase,
  killAndWait as kill,
  startPrivateRedis,
  startScript,
  testRouter,
  uniqueName,
  until,
  type TestDatabase,
} from '@recio/test-support';
import pg from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeApiServer, type RecordedRequest } from '../../test/fake-api-server.js';
import type { StoredObject } from '../../test/fake-api-store.js';
import { HealthController, type Evaluation, type Leadership } from '../controller.js';
import { ControllerLoop } from '../loop.js';
import type { Condition, EventConsumerStatus } from './event-consumer.js';
import { REPORTING_CONTROLLER } from './event-recorder.js';
import { startKubernetesPlatform, type KubernetesPlatform } from './kubernetes-platform.js';
import { DEPLOYMENT_LABEL } from './kubernetes-restarter.js';

// The controller in Kubernetes mode, wired as in production (startKubernetesPlatform), against
// real Redis and PostgreSQL and members that are real processes (the router's test member,
// stopped with SIGSTOP), and the fake API server (test/fake-api-server.ts: no API server can run
// here) through client-node. The fake plays the ReplicaSet: a deleted pod's process is killed
// and a replacement pod starts a new member under its own name.
const MEMBER = fileURLToPath(new URL('../../../../router/test/fixtures/consumer-process.ts', import.meta.url));
const CLAIM_IDLE_MS = 400;
const NS = 'recio';
const LEASE_MS = 2_000;
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const ACTIONS = new Set(['create', 'update', 'patch', 'delete']);

describe('the health controller in Kubernetes', () => {
  let db: TestDatabase;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let router: EventRouter;
  let server: FakeApiServer;
  const processes = new Map<string, ChildProcess>();
  const platforms: KubernetesPlatform[] = [];
  let replacements = 0;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    db = await createTestDatabase({ redisUrl: null });
    router = await testRouter(db.url, { redis: { url: redis.url } });
    await router.pool.query(`CREATE TABLE IF NOT EXISTS applied (
      id bigserial PRIMARY KEY, group_name text, channel text, seq bigint, event_id uuid, consumer text)`);
  });
  beforeEach(async () => {
    server = await FakeApiServer.start();
  });
  afterEach(async () => {
    server.onPodDeleted = undefined;
    for (const p of platforms.splice(0)) await p.close();
    for (const m of processes.values()) {
      if (m.signalCode === null && m.exitCode === null) m.kill('SIGCONT');
      await kill(m, 'SIGKILL');
    }
    processes.clear();
    server.intercept(undefined);
    await server.close();
  });
  afterAll(async () => {
    await router?.close();
    await db?.drop();
    await redis?.close();
  });

  const eventConsumer = (name: string, prefix: string, spec: Record<string, unknown> = {}): StoredObject => ({
    apiVersion: 'recio.dev/v1alpha1',
    kind: 'EventConsumer',
    metadata: { name, namespace: NS },
    spec: {
      group: name,
      channels: [`trades:${prefix}_*`],
      deployment: 'svc',
      maxLagSeconds: 30,
      maxPending: 1000,
      stallWindowSeconds: 5,
      ...spec,
    },
  });
  const pod = (name: string, deployment: string): StoredObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { [DEPLOYMENT_LABEL]: deployment } },
  });
  /** A pod of deployment `svc` whose process is a member of `group` named after it. */
  const runPod = async (name: string, group: string, prefix: string) => {
    server.apply(pod(name, 'svc'));
    processes.set(
      name,
      await startScript(MEMBER, {
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        GROUP: group,
        CHANNELS: `trades:${prefix}_*`,
        CLAIM_IDLE_MS: String(CLAIM_IDLE_MS),
        CONSUMER: name,
      }),
    );
  };
  /** The ReplicaSet: a deleted pod's process dies, and a new pod (a new member name) replaces it. */
  const playReplicaSet = (group: string, prefix: string) => {
    server.onPodDeleted = (gone) => {
      const p = processes.get(gone.metadata.name);
      processes.delete(gone.metadata.name);
      void (async () => {
        if (p) await kill(p, 'SIGKILL');
        await runPod(`svc-r${++replacements}`, group, prefix);
      })();
    };
  };
  const controllerFor = async (
    identity: string,
    options: { statusRefreshMs?: number; leadership?: Leadership; pool?: pg.Pool } = {},
  ) => {
    const platform = await startKubernetesPlatform({
      kubeConfig: server.kubeConfig(identity),
      namespace: NS,
      identity,
      logger: logger.child({ identity }),
      leaseDurationSeconds: LEASE_MS / 1000,
      renewDeadlineMs: 1_200,
      retryPeriodMs: 100,
      requestTimeoutMs: 1_000,
      statusRefreshMs: options.statusRefreshMs ?? 60_000,
    });
    platforms.push(platform);
    return {
      platform,
      controller: new HealthController({
        pool: options.pool ?? router.pool,
        redis: router.redis,
        router,
        registry: new Registry(),
        logger,
        groups: platform.groups,
        restarter: platform.restarter,
        leadership: options.leadership ?? platform.leadership,
        reporter: platform.reporter,
        claimIdleMs: CLAIM_IDLE_MS,
        startupGraceMs: 0,
        restartPerPodMs: 600_000,
        restartSettleMs: 0,
      }),
    };
  };
  const applied = async (group: string) =>
    (
      await router.pool.query<{ n: number }>(
        'SELECT count(DISTINCT seq)::int AS n FROM applied WHERE group_name = $1',
        [group],
      )
    ).rows[0]!.n;
  /** What an identity did to the cluster besides its Lease: deleted pods, status writes, Events. */
  const actions = (identity?: string): RecordedRequest[] =>
    server.requests.filter(
      (r) =>
        ACTIONS.has(r.verb) &&
        r.resource !== 'leases' &&
        r.status < 300 &&
        (identity === undefined || r.identity === identity),
    );
  const statusOf = (name: string) =>
    server.object('EventConsumer', NS, name)?.status as EventConsumerStatus | undefined;
  const condition = (name: string, type: string): Condition | undefined =>
    statusOf(name)?.conditions?.find((c) => c.type === type);
  const events = (reason: string) => server.events(NS).filter((e) => e.reason === reason);

  it('restarts a stopped member by deleting exactly its pod, shows it in status and Events, and leaves a bad spec uncontrolled', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    const channel = `trades:${prefix}_1`;
    server.apply(eventConsumer(group, prefix));
    // The CRD lets this through; the controller cannot control it (no such channel class).
    server.apply(eventConsumer(`${group}-bad`, prefix, { channels: ['widgets:*'] }));
    await runPod('svc-a', group, prefix);
    server.apply(pod('svc-b', 'svc'));
    server.apply(pod('other-a', 'other'));
    playReplicaSet(group, prefix);
    const { controller } = await controllerFor('a');

    for (let i = 0; i < 5; i++) await router.publish(channel, 'e', { i });
    await until('caught up and judged OK', async () => {
      const e = await controller.evaluate();
      return e.states.get(group) === 'OK' && statusOf(group)?.lag === 0;
    });
    processes.get('svc-a')!.kill('SIGSTOP');
    for (let i = 0; i < 5; i++) await router.publish(channel, 'e', { i });
    const restarted = await until(
      'the stopped member restarted',
      async () => {
        const e = await controller.evaluate();
        return e.restarted.length > 0 ? e : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(restarted.restarted).toEqual([{ group, consumer: 'svc-a', deployment: 'svc' }]);
    // Only the bad EventConsumer's group is not controlled.
    expect([...restarted.states.keys()]).toEqual([group]);
    expect(
      actions()
        .filter((r) => r.verb === 'delete')
        .map((r) => r.name),
    ).toEqual(['svc-a']);
    await until('the replacement pod runs', () => processes.has('svc-r1'));
    expect(server.store.list('/pods', NS).map((p) => p.metadata.name)).toEqual(['other-a', 'svc-b', 'svc-r1']);

    await until('every event applied, lag 0 in status', async () => {
      await controller.evaluate();
      return (await applied(group)) === 10 && statusOf(group)?.lag === 0;
    });
    expect(statusOf(group)).toMatchObject({ state: 'OK', restarts: 1, pending: 0 });
    expect(condition(group, 'Ready')).toMatchObject({ status: 'True', reason: 'Healthy' });
    expect(condition(group, 'SpecValid')).toMatchObject({ status: 'True' });
    const [restart] = events('ConsumerRestarted');
    expect(restart).toMatchObject({
      type: 'Warning',
      action: 'DeletePod',
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: 'a',
      regarding: { kind: 'Pod', name: 'svc-a', namespace: NS },
      related: { kind: 'EventConsumer', name: group },
    });

    expect(statusOf(`${group}-bad`)).toMatchObject({ state: 'Unknown' });
    expect(condition(`${group}-bad`, 'SpecValid')).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: expect.stringMatching(/^spec\.channels\[0\]: unknown channel class "widgets"/) as string,
    });
    // One InvalidSpec Event, however many evaluations saw it.
    expect(events('InvalidSpec').map((e) => (e.regarding as { name: string }).name)).toEqual([`${group}-bad`]);
  }, 60_000);

  it('announces a change of state as an Event and in the conditions; a gone member deleted is an Event too', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    const channel = `trades:${prefix}_1`;
    server.apply(eventConsumer(group, prefix));
    const { controller } = await controllerFor('a');
    // Events wait with no member at all: nothing is applied.
    for (let i = 0; i < 3; i++) await router.publish(channel, 'e', { i });
    await until(
      'STALLED',
      async () => ((await controller.evaluate()).states.get(group) === 'STALLED' ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(events('ConsumerGroupStalled')).toHaveLength(1);
    expect(events('ConsumerGroupStalled')[0]).toMatchObject({
      type: 'Warning',
      regarding: { kind: 'EventConsumer', name: group },
    });
    expect(statusOf(group)).toMatchObject({ state: 'STALLED', lag: 3 });
    const stalledSince = condition(group, 'Stalled')!;
    expect(stalledSince).toMatchObject({ status: 'True', reason: 'NoProgress' });
    expect(condition(group, 'Ready')).toMatchObject({ status: 'False', reason: 'Stalled' });

    await runPod('svc-a', group, prefix);
    await until(
      'recovered',
      async () => ((await controller.evaluate()).states.get(group) === 'OK' ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    await controller.evaluate();
    expect(events('ConsumerGroupRecovered')).toHaveLength(1);
    expect(condition(group, 'Stalled')).toMatchObject({ status: 'False' });
    expect(Date.parse(condition(group, 'Stalled')!.lastTransitionTime)).toBeGreaterThan(
      Date.parse(stalledSince.lastTransitionTime),
    );
    expect(condition(group, 'Ready')).toMatchObject({ status: 'True' });

    // A member of an earlier pod, never seen again, holding nothing: deleted by the sweep.
    await router.redis.call('XGROUP', 'CREATECONSUMER', streamKey(channel), group, 'svc-gone');
    await sleep(10 * CLAIM_IDLE_MS + 200);
    const swept = await controller.sweep();
    expect(swept.deleted).toContain(`${group}/svc-gone@${channel}`);
    // One Event for the sweep's deletions in the group (a caught-up member idle as long goes too:
    // it waits on the channel's doorbell without touching the stream, and rejoins when it reads).
    const [deletion, ...more] = events('GoneMembersDeleted');
    expect(more).toEqual([]);
    expect(deletion).toMatchObject({ type: 'Normal', regarding: { kind: 'EventConsumer', name: group } });
    expect(deletion!.note).toContain(`svc-gone on ${channel}`);
    expect(deletion!.note).toMatch(new RegExp(`^${swept.deleted.length} idle members? holding nothing deleted`));
  }, 60_000);

  it('does nothing once its leadership lapsed during the evaluation: no restart, no status, no Event, no sweep', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    const channel = `trades:${prefix}_1`;
    server.apply(eventConsumer(group, prefix));
    await runPod('svc-a', group, prefix);
    await router.publish(channel, 'e', { first: true });
    await until('applied', async () => (await applied(group)) === 1);
    // It won the Lease at the start of each evaluation, and has lost it by the time it would act.
    let leading = true;
    const lapsing: Leadership = {
      tryAcquire: async () => {
        leading = true;
        setImmediate(() => (leading = false));
        return true;
      },
      get held() {
        return leading;
      },
      release: async () => undefined,
    };
    const { controller } = await controllerFor('a', { leadership: lapsing, statusRefreshMs: 0 });
    processes.get('svc-a')!.kill('SIGSTOP');
    for (let i = 0; i < 3; i++) await router.publish(channel, 'e', { i });
    const refused = await until('a refused restart', async () => (await controller.evaluate()).refused[0], {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    expect(refused).toMatchObject({ target: { consumer: 'svc-a' }, reason: 'NOT_LEADING' });
    await router.redis.call('XGROUP', 'CREATECONSUMER', streamKey(channel), group, 'svc-gone');
    await sleep(10 * CLAIM_IDLE_MS + 200);
    expect(await controller.sweep()).toEqual({ acked: 0, deleted: [] });
    expect(actions()).toEqual([]);
  }, 60_000);

  it('lets only one of two controllers act; the other acts once the first gives the Lease up', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    const channel = `trades:${prefix}_1`;
    server.apply(eventConsumer(group, prefix));
    await runPod('svc-a', group, prefix);
    playReplicaSet(group, prefix);
    // Each writes the status at every evaluation it leads: every lead shows in the requests.
    const a = await controllerFor('a', { statusRefreshMs: 0 });
    const b = await controllerFor('b', { statusRefreshMs: 0 });
    await router.publish(channel, 'e', { first: true });
    await until('applied', async () => (await applied(group)) === 1);
    processes.get('svc-a')!.kill('SIGSTOP');
    for (let i = 0; i < 5; i++) await router.publish(channel, 'e', { i });
    const rounds: [Evaluation, Evaluation][] = [];
    await until(
      'a restart by one of them',
      async () => {
        const round = await Promise.all([a.controller.evaluate(), b.controller.evaluate()]);
        rounds.push(round);
        return round.some((e) => e.restarted.length > 0);
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    // The first round may find the Lease free to both; from then on exactly one leads, always the same.
    const leads = rounds.map(([x, y]) => [x.leader, y.leader]);
    expect(leads.every(([x, y]) => !(x && y))).toBe(true);
    const leaderId = server.object('Lease', NS, 'health-controller')!.spec as { holderIdentity: string };
    const [leader, follower, followerId] = leaderId.holderIdentity === 'a' ? [a, b, 'b'] : [b, a, 'a'];
    expect(new Set(actions().map((r) => r.identity))).toEqual(new Set([leaderId.holderIdentity]));
    expect(
      actions()
        .filter((r) => r.verb === 'delete')
        .map((r) => r.name),
    ).toEqual(['svc-a']);
    expect(actions().filter((r) => r.resource === 'eventconsumers/status').length).toBeGreaterThan(1);

    // The leader's replica stops: it gives the Lease up, and the other leads at its next evaluation.
    await leader.platform.close();
    const releasedAt = Date.now();
    expect((await follower.controller.evaluate()).leader).toBe(true);
    await follower.controller.evaluate();
    expect(actions(followerId).length).toBeGreaterThan(0);
    expect(Math.min(...actions(followerId).map((r) => r.at))).toBeGreaterThanOrEqual(
      Math.max(...actions(leaderId.holderIdentity).map((r) => r.at)),
    );
    expect(Date.now() - releasedAt).toBeLessThan(LEASE_MS);
  }, 60_000);

  it('a leader whose renewals are refused stops acting before its lease would expire; the other takes over after', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    server.apply(eventConsumer(group, prefix));
    await runPod('svc-a', group, prefix);
    const a = await controllerFor('a', { statusRefreshMs: 0 });
    const b = await controllerFor('b', { statusRefreshMs: 0 });
    const round = () => Promise.all([a.controller.evaluate(), b.controller.evaluate()]);
    await until('someone leads and writes', async () => {
      await round();
      return actions().length >= 3;
    });
    const leaderId = (server.object('Lease', NS, 'health-controller')!.spec as { holderIdentity: string })
      .holderIdentity;
    const followerId = leaderId === 'a' ? 'b' : 'a';
    // The API server refuses the leader's every Lease request from now on.
    server.intercept((r) =>
      r.identity === leaderId && r.resource === 'leases' ? { code: 500, reason: 'InternalError' } : undefined,
    );
    const lastRenewal = Math.max(
      ...server.requests
        .filter((r) => r.identity === leaderId && r.resource === 'leases' && r.verb !== 'get' && r.status < 300)
        .map((r) => r.at),
    );
    await until(
      'the other acts',
      async () => {
        await round();
        return actions(followerId).length > 0;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    const leaderLast = Math.max(...actions(leaderId).map((r) => r.at));
    const followerFirst = Math.min(...actions(followerId).map((r) => r.at));
    expect(leaderLast).toBeLessThan(lastRenewal + LEASE_MS);
    expect(followerFirst).toBeGreaterThanOrEqual(lastRenewal + LEASE_MS);
    expect(leaderLast).toBeLessThan(followerFirst);
  }, 60_000);

  it('a leader whose evaluation hangs on PostgreSQL gives the Lease up and renews it no more; the other takes over (regression: its renewals went on, on a timer of their own)', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    server.apply(eventConsumer(group, prefix));
    // The first replica's queries go through a proxy that stops forwarding; its API calls do not.
    const { proxy, url } = await FreezingProxy.inFrontOf(db.url);
    const stuckPool = new pg.Pool({ connectionString: url, max: 2 });
    const a = await controllerFor('a', { pool: stuckPool });
    const b = await controllerFor('b');
    const loopOf = (c: Awaited<ReturnType<typeof controllerFor>>) =>
      new ControllerLoop({
        controller: c.controller,
        leadership: c.platform.leadership,
        logger,
        sampleIntervalMs: 100,
        sweepIntervalMs: 60_000,
        roundDeadlineMs: 1_000,
        renewEveryMs: 100,
      });
    const [loopA, loopB] = [loopOf(a), loopOf(b)];
    const holder = () =>
      (server.object('Lease', NS, 'health-controller')?.spec as { holderIdentity?: string })?.holderIdentity;
    try {
      loopA.start();
      await until('the first replica leads', async () => (holder() === 'a' ? true : undefined));
      loopB.start();
      proxy.freeze();
      await until('the other replica holds the Lease', async () => (holder() === 'b' ? true : undefined), {
        timeoutMs: 15_000,
      });
      const takenAt = Date.now();
      expect(loopA.live).toBe(false);
      expect(a.platform.leadership.held).toBe(false);
      // The stuck replica writes the Lease no more (nor takes it back) while its round hangs.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(holder()).toBe('b');
      const writes = server.requests.filter(
        (r) => r.identity === 'a' && r.resource === 'leases' && r.verb !== 'get' && r.at > takenAt,
      );
      expect(writes).toEqual([]);
    } finally {
      await Promise.all([loopA.close(), loopB.close()]);
      await proxy.close();
      await stuckPool.end().catch(() => undefined);
    }
  }, 60_000);
});
