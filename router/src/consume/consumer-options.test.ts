import { describe, expect, it } from 'vitest';
import { resolveConsumeOptions } from './consumer-options.js';

describe('resolveConsumeOptions', () => {
  const base = {
    group: 'trade-manager',
    consumer: 'trade-manager-7f9c',
    channels: ['trades:*'],
    handler: async () => undefined,
  };

  it('fills defaults', () => {
    const o = resolveConsumeOptions(base);
    expect(o).toMatchObject({
      batchSize: 100,
      maxDeliveries: 5,
      claimIdleMs: 30_000,
      startFrom: 'redis',
      effects: 'outside',
    });
  });

  it('lets every transaction fill: channels at once default to transactions × channelsPerTransaction', () => {
    expect(resolveConsumeOptions(base).concurrency).toBe(16);
    expect(resolveConsumeOptions({ ...base, transactions: 8, channelsPerTransaction: 1 }).concurrency).toBe(8);
    expect(resolveConsumeOptions({ ...base, transactions: 3, channelsPerTransaction: 4 }).concurrency).toBe(12);
    expect(resolveConsumeOptions({ ...base, transactions: 3, concurrency: 5 }).concurrency).toBe(5);
  });

  it.each([
    [{ group: 'bad group' }, 'option group'],
    [{ transactions: 0 }, 'option transactions'],
    [{ concurrency: 0 }, 'option concurrency'],
    [{ consumer: '' }, 'option consumer'],
    [{ channels: [] }, 'option channels'],
    [{ batchSize: 0 }, 'option batchSize'],
    [{ maxDeliveries: 1.5 }, 'option maxDeliveries'],
    [{ startFrom: 'kafka' }, 'option startFrom'],
    [{ effects: 'memory' }, 'option effects'],
    [{ handler: 'nope' }, 'option handler'],
  ])('rejects %j naming the option', (override, message) => {
    expect(() => resolveConsumeOptions({ ...base, ...(override as object) })).toThrow(message);
  });
});
