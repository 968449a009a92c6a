import { STATE_VERSION_KEY } from '@recio/contract';
import { REDIS_URL, uniqueName, until } from '@recio/test-support';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { VersionedState } from './versioned-state.js';

// Two replicas of one group, each with its own copy of what its ticks read, on the real Redis.

const redis = new Redis(REDIS_URL);
afterAll(() => redis.disconnect());

/** A replica's copy of a state whose "PostgreSQL" is `source`, counting its loads. */
function replica(group: string, source: { value: number }, maxAgeMs?: number) {
  const loads = { n: 0 };
  const state = new VersionedState<number>({
    group,
    redis,
    logger: pino({ level: 'silent' }),
    load: async () => {
      loads.n += 1;
      return source.value;
    },
    ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
  });
  return { state, loads };
}

describe('VersionedState', () => {
  it('reads PostgreSQL once, then again only after a change on any replica', async () => {
    const group = uniqueName('g');
    const source = { value: 1 };
    const a = replica(group, source);
    const b = replica(group, source);
    for (let i = 0; i < 5; i++) {
      expect(await a.state.get()).toBe(1);
      expect(await b.state.get()).toBe(1);
    }
    expect([a.loads.n, b.loads.n]).toEqual([1, 1]);

    source.value = 2; // committed by a handler on replica a
    void a.state.changed(); // not waited for: the copy is dropped at once
    expect(await a.state.get()).toBe(2); // its own copy is dropped at once
    await until('the bump reached Redis', async () => (await b.state.get()) === 2);
    expect(await b.state.get()).toBe(2);
    expect(a.loads.n).toBe(2);
    expect(await redis.ttl(STATE_VERSION_KEY.key(group))).toBeGreaterThan(0); // a cache key: it expires
  });

  it('takes its own change into its copy without reading PostgreSQL, unless another change was announced between', async () => {
    const group = uniqueName('g');
    const source = { value: 1 };
    const a = replica(group, source);
    const b = replica(group, source);
    await a.state.get();
    await b.state.get();
    source.value = 2; // committed by a handler on replica a, which knows what it changed
    await a.state.changed((v) => v + 1);
    expect(await a.state.get()).toBe(2);
    expect(a.loads.n).toBe(1);
    expect(await b.state.get()).toBe(2); // the others read it
    expect(b.loads.n).toBe(2);

    // Two changes of a's committed at once (their bumps in flight together): the second builds on the first.
    source.value = 30;
    await Promise.all([a.state.changed((v) => v + 1), a.state.changed((v) => v * 10)]);
    expect(await a.state.get()).toBe(30);
    expect(a.loads.n).toBe(1);

    source.value = 3; // a change on replica b
    await b.state.changed();
    source.value = 4; // then one on a: its copy missed b's, so it is read again
    await a.state.changed((v) => v + 1);
    expect(await a.state.get()).toBe(4);
    expect(a.loads.n).toBe(2);
  });

  it('reads again when the version key is gone (Redis emptied), and after maxAgeMs whatever it says', async () => {
    const group = uniqueName('g');
    const source = { value: 1 };
    const a = replica(group, source, 60_000);
    await a.state.get();
    await redis.del(STATE_VERSION_KEY.key(group));
    source.value = 3; // a change whose bump was lost with Redis
    expect(await a.state.get()).toBe(3);
    expect(a.loads.n).toBe(2);

    const now = Date.now();
    source.value = 4; // a change whose bump never came (its replica crashed after COMMIT)
    expect(await a.state.get(now)).toBe(3);
    expect(await a.state.get(now + 60_000)).toBe(4);
  });
});
