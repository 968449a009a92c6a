import { describe, expect, it } from 'vitest';
import { DEFAULT_CHANNEL_CLASSES } from './channel-classes.js';
import { Channels, dlqKey, streamKey } from './channels.js';

const channels = new Channels(DEFAULT_CHANNEL_CLASSES);

describe('Channels', () => {
  it.each(['trades:user_0001', 'prices:btc', 'system:health', 'markets:btc', 'account:a.b-c'])('accepts %s', (name) => {
    expect(channels.validate(name)).toBe(name);
  });

  it.each([
    'trades',
    'trades:',
    'Trades:x',
    'trades:a:b',
    'trades:{x}',
    'trades:a b',
    'orders:x',
    'trades:*',
    ':x',
    `trades:${'x'.repeat(129)}`,
  ])('rejects %s with INVALID_CHANNEL', (name) => {
    expect(() => channels.validate(name)).toThrow(expect.objectContaining({ code: 'INVALID_CHANNEL' }));
  });

  it('knows the class and its policy', () => {
    expect(channels.classOf('trades:user_0001')).toBe('trades');
    expect(channels.policyOf('prices:btc')).toEqual({ maxLen: 20_000, retentionDays: 30, delivery: 'latest' });
    expect(channels.policyOf('trades:u1').retentionDays).toBeNull();
  });

  it('tells latest-value classes (prices, markets) from exactly-once ones, exactly-once unless a class says', () => {
    expect(['prices:btc', 'markets:btc', 'trades:u1', 'system:health'].map((c) => channels.isLatest(c))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    const custom = new Channels({ ticks: { maxLen: 10, retentionDays: null } });
    expect(custom.isLatest('ticks:a')).toBe(false);
    expect(custom.isLatest('prices:btc')).toBe(false); // a class it does not know
  });

  it('accepts patterns for subscriptions', () => {
    expect(channels.validatePattern('trades:*')).toBe('trades:*');
    expect(channels.validatePattern('trades:user_*')).toBe('trades:user_*');
    expect(() => channels.validatePattern('*')).toThrow(expect.objectContaining({ code: 'INVALID_CHANNEL' }));
    expect(() => channels.validatePattern('orders:*')).toThrow(expect.objectContaining({ code: 'INVALID_CHANNEL' }));
  });

  it('puts a channel and its dead letters in one Redis Cluster slot (hash tag)', () => {
    expect(streamKey('trades:user_0001')).toBe('stream:{trades:user_0001}');
    expect(dlqKey('trades:user_0001')).toBe('dlq:{trades:user_0001}');
  });
});
