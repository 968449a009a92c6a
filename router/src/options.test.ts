import { describe, expect, it } from 'vitest';
import { resolveRouterOptions, ROUTER_DEFAULTS } from './options.js';

const base = {
  database: 'postgres://x@127.0.0.1/db',
  redis: { url: 'redis://127.0.0.1:6379' },
  source: 'trade-manager',
};

describe('resolveRouterOptions', () => {
  it('fills defaults under the caller options', () => {
    const o = resolveRouterOptions({ ...base, batchSize: 7, maxGapFill: undefined });
    expect(o.batchSize).toBe(7);
    expect(o.maxGapFill).toBe(ROUTER_DEFAULTS.maxGapFill);
    expect(o.channelClasses.prices?.retentionDays).toBe(30);
  });

  it.each([
    [{ source: 'Bad Name' }, 'option source'],
    [{ batchSize: 0 }, 'option batchSize'],
    [{ poolSize: 2.5 }, 'option poolSize'],
    [{ channelClasses: { trades: { maxLen: -1, retentionDays: null } } }, 'option channelClasses.trades.maxLen'],
    [{ channelClasses: { 'Bad-Class': { maxLen: 1, retentionDays: null } } }, 'option channelClasses'],
    [{ publishes: ['orders'] }, 'option publishes: unknown class orders'],
  ])('rejects %j naming the option', (override, message) => {
    expect(() => resolveRouterOptions({ ...base, ...override })).toThrow(message);
  });
});
