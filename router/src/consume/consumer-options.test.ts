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

  it.each([
    [{ group: 'bad group' }, 'option group'],
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
