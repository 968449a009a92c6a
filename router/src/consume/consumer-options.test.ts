import { describe, expect, it } from 'vitest';
import { resolveConsumeOptions, retryDelay } from './consumer-options.js';

describe('retryDelay', () => {
  it('doubles from the base, caps at the maximum, and keeps jitter in the upper half', () => {
    expect(retryDelay(1, 100, 30_000, () => 0)).toBe(50);
    expect(retryDelay(1, 100, 30_000, () => 1)).toBe(100);
    expect(retryDelay(4, 100, 30_000, () => 1)).toBe(800);
    expect(retryDelay(30, 100, 30_000, () => 1)).toBe(30_000);
    expect(retryDelay(30, 100, 30_000, () => 0)).toBe(15_000);
  });
});

describe('resolveConsumeOptions', () => {
  const base = {
    group: 'trade-manager',
    consumer: 'trade-manager-7f9c',
    channels: ['trades:*'],
    handler: async () => undefined,
  };

  it('fills defaults', () => {
    const o = resolveConsumeOptions(base);
    expect(o).toMatchObject({ batchSize: 100, maxDeliveries: 5, claimIdleMs: 30_000, startFrom: 'redis' });
  });

  it.each([
    [{ group: 'bad group' }, 'option group'],
    [{ consumer: '' }, 'option consumer'],
    [{ channels: [] }, 'option channels'],
    [{ batchSize: 0 }, 'option batchSize'],
    [{ maxDeliveries: 1.5 }, 'option maxDeliveries'],
    [{ startFrom: 'kafka' }, 'option startFrom'],
    [{ handler: 'nope' }, 'option handler'],
  ])('rejects %j naming the option', (override, message) => {
    expect(() => resolveConsumeOptions({ ...base, ...(override as object) })).toThrow(message);
  });
});
