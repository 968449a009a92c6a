import { fileURLToPath } from 'node:url';
import { startRedisServer, startSentinelGroup, type RedisServerHandle, type SentinelGroup } from '@recio/topology';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Relay } from '../relay.js';
import type { EventRouter } from '../router.js';
import { appliedSeqs, createAppliedLog, range, recordingHandler } from '../../test/support/applied-log.js';
import {
  REDIS_URL,
  createTestDatabase,
  killAndWait as kill,
  startScript,
  uniqueName,
  until,
  type TestDatabase,
} from '@recio/test-support';
import { testRouter } from '../../test/support/routers.js';

// Crash recovery of consumer groups against real servers and real signals (invariant 8).

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/consumer-process.ts', import.meta.url));
const startMember = (env: Record<string, string>) => startScript(FIXTURE, env);

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  await createAppliedLog(pool);
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

async function heads(channels: readonly string[]): Promise<number[]> {
  const { rows } = await pool.query<{ channel: string; last_seq: string }>(
    'SELECT channel, last_seq FROM channel_head WHERE channel = ANY($1)',
    [channels],
  );
  return channels.map((c) => Number(rows.find((r) => r.channel === c)?.last_seq ?? 0));
}

/**
 * Publishes `total` events round-robin over `channels`, a few at a time. The pauses spread the
 * production over time so that events keep arriving while members die and Redis goes away: that
 * spread is the workload, not a wait for anything.
 */
async function produce(
  router: EventRouter,
  channels: readonly string[],
  total: number,
  pauseMs: number,
): Promise<void> {
  for (let i = 0; i < total; i++) {
    await router.publish(channels[i % channels.length]!, 'e', { i });
    if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

describe('consumer crash recovery', () => {
  // With effects 'transaction', handlers also start on the doorbell's message beside the read, and
  // members take over each other's channels: a run one of them started may be another's.
  it.each(['outside', 'transaction'])(
    'applies every event exactly once, in order, while members are SIGKILLed again and again (effects %j)',
    async (effects) => {
      const group = uniqueName('g');
      const prefix = uniqueName('k');
      const channels = range(1, 6).map((i) => `trades:${prefix}_${i}`);
      const router = await testRouter(db.url);
      const relay = new Relay(router, { databaseUrl: db.url, sweepIntervalMs: 200 });
      relay.start();
      const env = {
        DATABASE_URL: db.url,
        REDIS_URL,
        GROUP: group,
        CHANNELS: `trades:${prefix}_*`,
        CLAIM_IDLE_MS: '800',
        EFFECTS: effects,
      };
      // Two pods; a killed pod comes back sometimes under its own name (its PEL is re-read),
      // sometimes as a new pod (the others must claim what the dead one held).
      const names = ['svc-a', 'svc-b'];
      const members = await Promise.all(names.map((name) => startMember({ ...env, CONSUMER: name })));
      const producing = produce(router, channels, 600, 10);
      let kills = 0;
      for (let round = 0; round < 8; round++) {
        // The chaos schedule: each kill at a random moment of the members' work, not after a condition.
        await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 300));
        const victim = round % 2;
        await kill(members[victim]!, 'SIGKILL');
        kills++;
        if (round % 3 === 2) names[victim] = `svc-${uniqueName()}`;
        members[victim] = await startMember({ ...env, CONSUMER: names[victim]! });
      }
      await producing;
      const expected = (await heads(channels)).map((h) => range(1, h));
      expect(expected.flat()).toHaveLength(600);
      await expect.poll(() => appliedSeqs(pool, group, channels), { timeout: 60_000, interval: 500 }).toEqual(expected);
      expect(kills).toBe(8);
      for (const m of members) await kill(m, 'SIGTERM');
      await relay.close();
      await router.close();
    },
  );

  describe('with a Redis that loses its data', () => {
    let server: RedisServerHandle;

    beforeAll(async () => {
      server = await startRedisServer({ config: { appendonly: false, save: [] } });
    });

    afterAll(async () => {
      await server.close();
    });

    it('recovers with no loss and no double effect when Redis restarts empty mid-run', async () => {
      const group = uniqueName('g');
      const channels = range(1, 4).map((i) => `positions:${uniqueName()}_${i}`);
      const router = await testRouter(db.url, { redis: { url: server.url } });
      const relay = new Relay(router, { databaseUrl: db.url, sweepIntervalMs: 100 });
      relay.start();
      const member = await router.consume({
        group,
        consumer: 'svc-a',
        channels,
        handler: recordingHandler(group, 'svc-a'),
        claimIdleMs: 500,
        sweepIntervalMs: 200,
      });
      await produce(router, channels, 100, 5);
      await server.stop(); // everything in Redis is gone: streams, groups, pending entries
      await produce(router, channels, 60, 5);
      await server.restart();
      await produce(router, channels, 40, 5);
      const expected = (await heads(channels)).map((h) => range(1, h));
      await expect.poll(() => appliedSeqs(pool, group, channels), { timeout: 30_000, interval: 300 }).toEqual(expected);
      await member.close();
      await relay.close();
      await router.close();
    });
  });

  describe('through Sentinel', () => {
    let sentinel: SentinelGroup;

    beforeAll(async () => {
      sentinel = await startSentinelGroup({ replicas: 1, sentinels: 3, downAfterMs: 1_000 });
    });

    afterAll(async () => {
      await sentinel.close();
    });

    it('loses nothing and applies nothing twice across a failover mid-consumption', async () => {
      const group = uniqueName('g');
      const channels = range(1, 4).map((i) => `account:${uniqueName()}_${i}`);
      const router = await testRouter(db.url, { redis: { sentinels: sentinel.sentinels, name: sentinel.masterName } });
      await router.waitUntilReady({ redisTimeoutMs: 10_000 });
      const relay = new Relay(router, { databaseUrl: db.url, sweepIntervalMs: 100 });
      relay.start();
      const members = await Promise.all(
        ['svc-a', 'svc-b'].map((name) =>
          router.consume({
            group,
            consumer: name,
            channels,
            handler: recordingHandler(group, name),
            claimIdleMs: 1_000,
            sweepIntervalMs: 200,
          }),
        ),
      );
      const producing = produce(router, channels, 300, 10);
      // Mid-consumption: the members are applying what is being produced.
      await until(
        'the members applying events',
        async () => (await appliedSeqs(pool, group, channels)).flat().length > 0,
      );
      const old = await sentinel.killMaster();
      await sentinel.waitForNewMaster(old, 30_000);
      await producing;
      const expected = (await heads(channels)).map((h) => range(1, h));
      await expect.poll(() => appliedSeqs(pool, group, channels), { timeout: 40_000, interval: 300 }).toEqual(expected);
      for (const m of members) await m.close();
      await relay.close();
      await router.close();
    });
  });
});
