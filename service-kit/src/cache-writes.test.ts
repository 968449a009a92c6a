import type { KeyFamily } from '@recio/contract';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CacheWrites } from './cache-writes.js';

// The counters alone: `read` is handed the Redis read as a function, so these need no server.

const family = { name: 'trader-view' } as KeyFamily;

async function counts(registry: Registry): Promise<Record<string, number | undefined>> {
  const at = async (name: string) =>
    (await registry.getSingleMetric(name)!.get()).values.find((v) => v.labels['family'] === 'trader-view')?.value;
  return { hits: await at('recio_cache_hits_total'), misses: await at('recio_cache_misses_total') };
}

describe('CacheWrites.read', () => {
  it('counts a miss, and shows the family’s hits at 0 from its first read', async () => {
    const registry = new Registry();
    const cache = new CacheWrites(registry, pino({ level: 'silent' }));
    expect(await counts(registry)).toEqual({ hits: undefined, misses: undefined });
    expect(
      await cache.read(
        family,
        async () => null,
        (t) => t,
      ),
    ).toBeNull();
    expect(await counts(registry)).toEqual({ hits: 0, misses: 1 });
    expect(
      await cache.read(
        family,
        async () => 'v',
        (t) => t,
      ),
    ).toBe('v');
    expect(
      await cache.read(
        family,
        async () => 'x',
        () => null,
      ),
    ).toBeNull(); // not valid: a miss
    expect(
      await cache.read(
        family,
        () => Promise.reject(new Error('away')),
        (t) => t,
      ),
    ).toBeNull();
    expect(await counts(registry)).toEqual({ hits: 1, misses: 3 });
  });
});
