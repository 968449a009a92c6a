import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HEALTH_CHANNEL } from '@recio/contract';
import { LEADER_KEYS, LeaderLock, streamKey, type EventRouter } from '@recio/router';
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
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HealthController, type ControlledGroup, type Evaluation } from './controller.js';
import { ControllerLoop } from './loop.js';
import type { Restarter, RestartTarget } from './restarter.js';

// The controller against real Redis and PostgreSQL, and a consumer group member that is a real
// process (the router's own test member), stopped with a real SIGSTOP. The restarter here does
// what make dev's supervisor does (SIGKILL, start again under the same name); the supervisor's
// own restart is tested in stack/ and by the e2e test of issue 13's proof.

// The router's own test member (a real process), the one its crash-recovery tests run.
const MEMBER = fileURLToPath(new URL('../../../router/test/fixtures/consumer-process.ts', import.meta.url));
const startMember = (env: Record<string, string>) => startScript(MEMBER, env);
const CLAIM_IDLE_MS = 400;
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

describe('the health controller', () => {
  let db: TestDatabase;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let router: EventRouter;
  const members: ChildProcess[] = [];
  const locks: LeaderLock[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    db = await createTestDatabase({ redisUrl: null });
    router = await testRouter(db.url, { redis: { url: redis.url } });
    await router.pool.query(`CREATE TABLE IF NOT EXISTS applied (
      id bigserial PRIMARY KEY, group_name text, channel text, seq bigint, event_id uuid, consumer text)`);
  });
  afterEach(async () => {
    for (const m of members.splice(0)) {
      if (m.signalCode === null && m.exitCode === null) m.kill('SIGCONT');
      await kill(m, 'SIGKILL');
    }
    for (const l of locks.splice(0)) await l.release();
  });
  afterAll(async () => {
    await router?.close();
    await db?.drop();
    await redis?.close();
  });

  const controllerFor = (
    group: ControlledGroup,
    restarter: Restarter | null,
    options: { startupGraceMs?: number; now?: () => number; pool?: pg.Pool } = {},
  ) => {
    const lock = new LeaderLock({ databaseUrl: db.url, key: LEADER_KEYS.healthController, logger });
    locks.push(lock);
    const registry = new Registry();
    return {
      registry,
      lock,
      controller: new HealthController({
        pool: options.pool ?? router.pool,
        redis: router.redis,
        router,
        registry,
        logger,
        groups: [group],
        restarter,
        leadership: lock,
        claimIdleMs: CLAIM_IDLE_MS,
        startupGraceMs: options.startupGraceMs ?? 0,
        restartPerPodMs: 600_000,
        restartSettleMs: 0,
        ...(options.now ? { now: options.now } : {}),
      }),
    };
  };
  const groupOf = (name: string, prefix: string): ControlledGroup => ({
    name,
    channels: [`trades:${prefix}_*`],
    deployment: 'svc',
    maxLagSeconds: 5,
    maxPending: 100,
    stallWindowSeconds: 1,
  });
  const memberEnv = (group: string, prefix: string) => ({
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    GROUP: group,
    CHANNELS: `trades:${prefix}_*`,
    CLAIM_IDLE_MS: String(CLAIM_IDLE_MS),
  });
  /** A restarter that does what make dev's supervisor does: SIGKILL, then the same pod again. */
  const supervisorLike = (env: Record<string, string>) => {
    const calls: RestartTarget[] = [];
    const restarter: Restarter = {
      describe: 'test',
      restart: async (target) => {
        calls.push(target);
        for (const m of members.splice(0)) await kill(m, 'SIGKILL');
        members.push(await startMember({ ...env, CONSUMER: target.consumer }));
        return 'restarted';
      },
    };
    return { calls, restarter };
  };
  /** A member that has applied an event on the group's channel (so Redis knows it as the group's member there). */
  const consumingMember = async (group: string, prefix: string) => {
    members.push(await startMember({ ...memberEnv(group, prefix), CONSUMER: 'svc-a' }));
    await router.publish(`trades:${prefix}_1`, 'e', { first: true });
    await until('the member applied the first event', async () => {
      const { rows } = await router.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM applied WHERE group_name = $1',
        [group],
      );
      return rows[0]!.n > 0 ? true : undefined;
    });
  };
  const healthEvents = async (group: string) =>
    (
      await router.pool.query<{ data: { status: string; detail: string } }>(
        `SELECT data FROM event_log WHERE channel = $1 AND data->>'component' = $2 ORDER BY seq`,
        [HEALTH_CHANNEL, `consumer-group:${group}`],
      )
    ).rows.map((r) => r.data);

  it('finds a SIGSTOPped member STOPPED, restarts it, and the group catches up', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    const channel = `trades:${prefix}_1`;
    const env = memberEnv(group, prefix);
    members.push(await startMember({ ...env, CONSUMER: 'svc-a' }));
    const { calls, restarter } = supervisorLike(env);
    const { controller, registry } = controllerFor(groupOf(group, prefix), restarter);

    for (let i = 0; i < 5; i++) await router.publish(channel, 'e', { i });
    let last: Evaluation | undefined;
    await until('the group caught up and judged OK', async () => {
      last = await controller.evaluate();
      return last.states.get(group) === 'OK' &&
        (await registry.getSingleMetricAsString('recio_group_lag')).includes(' 0')
        ? true
        : undefined;
    });
    expect(last!.leader).toBe(true);

    // Stopped, and events keep coming: they wait in the stream, undelivered.
    const stoppedAt = Date.now();
    members[0]!.kill('SIGSTOP');
    for (let i = 0; i < 5; i++) await router.publish(channel, 'e', { i });
    const seen: Evaluation[] = [];
    await until(
      'the stopped member restarted',
      async () => {
        const e = await controller.evaluate();
        seen.push(e);
        return e.restarted.length > 0 ? e : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const restartedAt = Date.now();
    expect(calls).toEqual([{ group, consumer: 'svc-a', deployment: 'svc' }]);
    // STOPPED on two evaluations in a row before anything was done.
    const stoppedOnce = seen.findIndex((e) => e.stopped.get(group)?.has('svc-a'));
    expect(stoppedOnce).toBe(seen.length - 1);
    await until(
      'lag back to 0',
      async () => ((await controller.evaluate()).states.get(group) === 'OK' ? true : undefined),
      {
        timeoutMs: 20_000,
      },
    );
    const caughtUpAt = Date.now();
    const { rows } = await router.pool.query<{ n: number }>(
      'SELECT count(DISTINCT seq)::int AS n FROM applied WHERE group_name = $1',
      [group],
    );
    expect(rows[0]!.n).toBe(10);
    const events = await healthEvents(group);
    expect(events.some((e) => e.detail.startsWith('restarted svc-a'))).toBe(true);
    expect(await registry.getSingleMetricAsString('recio_controller_restarts_total')).toContain(
      `recio_controller_restarts_total{group="${group}",outcome="restarted"} 1`,
    );
    console.log(
      `SIGSTOP → restarted ${restartedAt - stoppedAt} ms (claimIdleMs ${CLAIM_IDLE_MS}, evaluations every 200 ms); restarted → lag 0 ${caughtUpAt - restartedAt} ms`,
    );
  }, 60_000);

  it('never charges a gone member with the waiting entries: only the stopped one is restarted', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    const channel = `trades:${prefix}_1`;
    const env = memberEnv(group, prefix);
    await consumingMember(group, prefix);
    // A member of an earlier pod, never seen again, while svc-a keeps reading.
    await router.redis.call('XGROUP', 'CREATECONSUMER', streamKey(channel), group, 'ghost');
    for (let i = 0; i < 16; i++) {
      await router.publish(channel, 'e', { i });
      await new Promise((r) => setTimeout(r, 300));
    }
    const { calls, restarter } = supervisorLike(env);
    const { controller } = controllerFor(groupOf(group, prefix), restarter);
    members[0]!.kill('SIGSTOP');
    for (let i = 0; i < 3; i++) await router.publish(channel, 'e', { i });
    const stoppedSeen = new Set<string>();
    await until(
      'the stopped member restarted',
      async () => {
        const e = await controller.evaluate();
        for (const c of e.stopped.get(group) ?? []) stoppedSeen.add(c);
        return e.restarted.length > 0 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(calls.map((c) => c.consumer)).toEqual(['svc-a']);
    expect([...stoppedSeen]).toEqual(['svc-a']);
  }, 60_000);

  it('judges a group when Redis refuses one of its streams: that one is left out and counted, the others read (regression: one key that was not a stream failed every sample)', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    const [bad, good] = [`trades:${prefix}_1`, `trades:${prefix}_2`];
    for (const channel of [bad, good]) for (let i = 0; i < 2; i++) await router.publish(channel, 'e', { i });
    // A member of the group holds one entry of the readable stream.
    await router.redis.xgroup('CREATE', streamKey(good), group, '0');
    await router.redis.xreadgroup('GROUP', group, 'svc-b', 'COUNT', 1, 'STREAMS', streamKey(good), '>');
    // Someone else's writing where the other stream belongs.
    await router.redis.del(streamKey(bad));
    await router.redis.set(streamKey(bad), 'not a stream');

    const { controller, registry } = controllerFor(groupOf(group, prefix), null);
    const value = async (metric: string, labels: Record<string, string> = {}) =>
      ((await registry.getSingleMetric(metric)?.get())?.values ?? [])
        .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
        .reduce((sum, v) => sum + v.value, 0);
    const evaluation = await controller.evaluate();
    expect(evaluation.leader).toBe(true);
    expect(evaluation.states.get(group)).toBeDefined();
    expect(await value('recio_controller_sample_errors_total')).toBe(0);
    expect(await value('recio_controller_stream_errors_total', { code: 'WRONGTYPE' })).toBe(1);
    // Its lag counts both channels (PostgreSQL's heads); its pending, the stream Redis described.
    expect(await value('recio_group_lag', { group, class: 'trades' })).toBe(4);
    expect(await value('recio_group_pending', { group, class: 'trades' })).toBe(1);
  });

  it("counts a latest-value stream's undelivered entries when Redis cannot (its lag is null after a deletion)", async () => {
    const group = uniqueName('g');
    const channel = `prices:${uniqueName('k')}`;
    const key = streamKey(channel);
    for (let seq = 1; seq <= 4; seq++)
      await router.redis.xadd(key, `${seq}-0`, 'event_id', crypto.randomUUID(), 'ts', String(Date.now()), 'data', '{}');
    await router.redis.xgroup('CREATE', key, group, '1-0');
    await router.redis.xdel(key, '3-0'); // a deleted entry after the group's last delivered one: lag null
    const info = (await router.redis.call('XINFO', 'GROUPS', key)) as unknown[][];
    expect(info[0]).toContain('lag');
    expect(info[0]![info[0]!.indexOf('lag') + 1]).toBeNull();

    const { controller, registry } = controllerFor({ ...groupOf(group, 'unused'), channels: [channel] }, null);
    await controller.evaluate();
    // 2-0 and 4-0 wait for it, undelivered.
    expect(await registry.getSingleMetricAsString('recio_group_lag')).toContain(
      `recio_group_lag{group="${group}",class="prices"} 2`,
    );
  });

  it('tells a recovery it finds on taking over: a group its predecessor last announced down, now OK, is announced up', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    const quiet = uniqueName('g'); // never announced: its first OK is not news
    // What the replica before it (or this one before a restart) last said of the group.
    await router.publish(HEALTH_CHANNEL, 'health.changed', {
      component: `consumer-group:${group}`,
      status: 'down',
      previous: 'up',
      detail: `consumer group ${group}: STALLED (lag 3)`,
      at: Date.now(),
    });
    for (const name of [group, quiet]) {
      const { controller } = controllerFor(groupOf(name, prefix), null);
      await until('judged OK', async () =>
        (await controller.evaluate()).states.get(name) === 'OK' ? true : undefined,
      );
      await controller.evaluate(); // an OK judged again is never news
      for (const l of locks.splice(0)) await l.release();
    }
    expect(await healthEvents(group)).toEqual([
      expect.objectContaining({ status: 'down' }),
      expect.objectContaining({ status: 'up', previous: 'down', detail: `consumer group ${group}: OK (lag 0)` }),
    ]);
    expect(await healthEvents(quiet)).toEqual([]);
  });

  it('counts a stopped member whose pod was already gone as gone, and announces no restart', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    await consumingMember(group, prefix);
    const asked: RestartTarget[] = [];
    const { controller, registry } = controllerFor(groupOf(group, prefix), {
      describe: 'test',
      restart: async (target) => {
        asked.push(target);
        return 'gone'; // as the Kubernetes restarter answers a 404, a pod being deleted, or a replaced one
      },
    });
    members[0]!.kill('SIGSTOP');
    for (let i = 0; i < 3; i++) await router.publish(`trades:${prefix}_1`, 'e', { i });
    await until(
      'a restart asked for',
      async () => ((await controller.evaluate(), asked.length > 0) ? true : undefined),
      {
        timeoutMs: 20_000,
        intervalMs: 200,
      },
    );
    expect(asked.map((t) => t.consumer)).toEqual(['svc-a']);
    const restarts = await registry.getSingleMetricAsString('recio_controller_restarts_total');
    expect(restarts).toContain(`recio_controller_restarts_total{group="${group}",outcome="gone"} 1`);
    expect(restarts).not.toContain('outcome="restarted"');
    expect((await healthEvents(group)).filter((e) => e.detail.startsWith('restarted'))).toEqual([]);
  }, 60_000);

  it('lets one of two controllers act; the other takes over when the first lets go', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    const env = memberEnv(group, prefix);
    await consumingMember(group, prefix);
    const one = supervisorLike(env);
    const two = supervisorLike(env);
    const a = controllerFor(groupOf(group, prefix), one.restarter);
    const b = controllerFor(groupOf(group, prefix), two.restarter);
    members[0]!.kill('SIGSTOP');
    for (let i = 0; i < 5; i++) await router.publish(`trades:${prefix}_1`, 'e', { i });
    const leaders: boolean[][] = [];
    await until(
      'a restart by one of them',
      async () => {
        const [ea, eb] = await Promise.all([a.controller.evaluate(), b.controller.evaluate()]);
        leaders.push([ea.leader, eb.leader]);
        return one.calls.length + two.calls.length > 0 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    // Exactly one leads on every evaluation, always the same one, and only it restarted.
    expect(leaders.every(([x, y]) => x !== y)).toBe(true);
    const aLeads = leaders[0]![0]!;
    expect(leaders.every(([x]) => x === aLeads)).toBe(true);
    const [leader, follower] = aLeads ? [a, b] : [b, a];
    expect((aLeads ? one : two).calls).toHaveLength(1);
    expect((aLeads ? two : one).calls).toEqual([]);
    expect(await follower.registry.getSingleMetricAsString('recio_controller_leader')).toMatch(/ 0$/m);
    expect(await leader.registry.getSingleMetricAsString('recio_controller_leader')).toMatch(/ 1$/m);
    // A follower reports no group (its last values would keep alerts firing beside the leader's).
    expect(await follower.registry.getSingleMetricAsString('recio_group_state')).not.toContain(group);
    expect(await leader.registry.getSingleMetricAsString('recio_group_state')).toContain(group);
    // The leader lets go (its replica stopped): the other leads at its next evaluation, and the
    // former leader, following now, drops what it reported.
    await locks[aLeads ? 0 : 1]!.release();
    expect((await follower.controller.evaluate()).leader).toBe(true);
    expect((await leader.controller.evaluate()).leader).toBe(false);
    expect(await leader.registry.getSingleMetricAsString('recio_group_state')).not.toContain(group);
  }, 60_000);

  it('gives leadership up while a round hangs on PostgreSQL: the other replica leads, and the stuck one is not live (regression: its lock kept it leading, acting on nothing)', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    await consumingMember(group, prefix);
    // The first replica's queries go through a proxy that stops forwarding (a partition, or a
    // server that stops answering); its lock connection does not, so the lock alone never lapses.
    const { proxy, url } = await FreezingProxy.inFrontOf(db.url);
    const stuckPool = new pg.Pool({ connectionString: url, max: 2 });
    const a = controllerFor(groupOf(group, prefix), null, { pool: stuckPool });
    const b = controllerFor(groupOf(group, prefix), null);
    const loopOf = (c: ReturnType<typeof controllerFor>) =>
      new ControllerLoop({
        controller: c.controller,
        leadership: c.lock,
        logger,
        sampleIntervalMs: 100,
        sweepIntervalMs: 60_000,
        roundDeadlineMs: 1_500,
      });
    const [loopA, loopB] = [loopOf(a), loopOf(b)];
    try {
      loopA.start();
      await until('the first replica leads', async () => (a.lock.held ? true : undefined));
      loopB.start();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(b.lock.held).toBe(false);
      proxy.freeze();
      await until('the other replica leads', async () => (b.lock.held ? true : undefined), { timeoutMs: 15_000 });
      expect(a.lock.held).toBe(false);
      expect(loopA.live).toBe(false);
      expect(loopA.overdue().map((o) => o.round)).toEqual(['evaluation']);
      expect(loopB.live).toBe(true);
      expect(await a.registry.getSingleMetricAsString('recio_controller_rounds_overdue_total')).toMatch(
        /round="evaluation"} 1$/m,
      );
      expect(await a.registry.getSingleMetricAsString('recio_controller_leader')).toMatch(/ 0$/m);
      // The stuck replica starts nothing and takes nothing back while its round hangs.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(a.lock.held).toBe(false);
      expect(b.lock.held).toBe(true);
    } finally {
      await Promise.all([loopA.close(), loopB.close()]);
      await proxy.close();
      await stuckPool.end().catch(() => undefined);
    }
  }, 60_000);

  it('refuses a restart during its start-up grace, and without a restarter, and says why', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    await consumingMember(group, prefix);
    const graceful = controllerFor(groupOf(group, prefix), supervisorLike({}).restarter, { startupGraceMs: 3_600_000 });
    members[0]!.kill('SIGSTOP');
    for (let i = 0; i < 3; i++) await router.publish(`trades:${prefix}_1`, 'e', { i });
    const refusal = await until('a refused restart', async () => (await graceful.controller.evaluate()).refused[0], {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    expect(refusal).toMatchObject({ target: { consumer: 'svc-a' }, reason: 'STARTUP_GRACE' });

    // A replica up for longer than its grace, following: the grace counts from when it starts leading
    // (the pods its predecessor restarted a moment ago may still be starting).
    let offset = 0;
    const restarts: RestartTarget[] = [];
    const successor = controllerFor(
      groupOf(group, prefix),
      {
        describe: 'test',
        restart: async (target) => {
          restarts.push(target);
          return 'restarted';
        },
      },
      { startupGraceMs: 60_000, now: () => Date.now() + offset },
    );
    expect((await successor.controller.evaluate()).leader).toBe(false);
    offset = 120_000; // two minutes later, still following
    expect((await successor.controller.evaluate()).leader).toBe(false);
    await locks[0]!.release();
    const successorRefusal = await until(
      "the successor's refused restart",
      async () => (await successor.controller.evaluate()).refused[0],
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(successorRefusal).toMatchObject({ target: { consumer: 'svc-a' }, reason: 'STARTUP_GRACE' });
    expect(restarts).toEqual([]);
    await locks[1]!.release();

    const observer = controllerFor(groupOf(group, prefix), null);
    const why = await until(
      'a refusal for want of a restarter',
      async () => (await observer.controller.evaluate()).refused[0],
      {
        timeoutMs: 20_000,
        intervalMs: 200,
      },
    );
    expect(why.reason).toBe('NO_RESTARTER');
    // Left stopped, the group applies nothing while it has lag: STALLED, and said so on system:health.
    await until(
      'STALLED',
      async () => ((await observer.controller.evaluate()).states.get(group) === 'STALLED' ? true : undefined),
      {
        timeoutMs: 20_000,
        intervalMs: 200,
      },
    );
    expect((await healthEvents(group)).at(-1)).toMatchObject({
      status: 'down',
      detail: expect.stringContaining('STALLED'),
    });
    expect(await observer.registry.getSingleMetricAsString('recio_consumer_stopped')).toContain(
      `recio_consumer_stopped{group="${group}",consumer="svc-a"} 1`,
    );
  }, 60_000);

  it('sweeps: acknowledges what a dead member held of applied events, and deletes it once gone', async () => {
    const group = uniqueName('g');
    const prefix = uniqueName('k');
    const channel = `trades:${prefix}_1`;
    members.push(await startMember({ ...memberEnv(group, prefix), CONSUMER: 'svc-a' }));
    for (let i = 0; i < 4; i++) await router.publish(channel, 'e', { i });
    await until('applied', async () => {
      const { rows } = await router.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM applied WHERE group_name = $1',
        [group],
      );
      return rows[0]!.n === 4 ? true : undefined;
    });
    const key = streamKey(channel);
    const pending = async () => Number(((await router.redis.xpending(key, group)) as [number])[0]);
    // (Applied rows are visible at COMMIT; the member acknowledges right after: wait for that too.)
    await until('acknowledged', async () => ((await pending()) === 0 ? true : undefined));
    // A member that read them again and died before acknowledging: applied, yet pending in Redis.
    await router.redis.xgroup('SETID', key, group, '0');
    await router.redis.xreadgroup('GROUP', group, 'dead-1', 'STREAMS', key, '>');
    expect(await pending()).toBe(4);
    const { controller } = controllerFor(groupOf(group, prefix), null);
    expect(await controller.sweep()).toEqual({ acked: 4, deleted: [] });
    expect(await pending()).toBe(0);
    // Idle for 10 × claimIdleMs and holding nothing: gone.
    await new Promise((r) => setTimeout(r, 10 * CLAIM_IDLE_MS + 200));
    const swept = await controller.sweep();
    expect(swept.acked).toBe(0);
    expect(swept.deleted).toContain(`${group}/dead-1@${channel}`);
  }, 60_000);
});
