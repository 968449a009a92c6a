import { describe, expect, it } from 'vitest';
import {
  channelClass,
  channelMatches,
  channelOf,
  isChannel,
  isChannelOrPattern,
  isChannelPattern,
} from './channels.js';

describe('the channel grammar', () => {
  it('accepts <class>:<name> with a name of letters, digits, _ . - in any case', () => {
    for (const c of ['trades:user_0001', 'prices:btc', 'system:health', 'markets:KXBTCD-26MAR1010', 'a_b:x.y-z']) {
      expect(isChannel(c), c).toBe(true);
    }
  });

  it('refuses what would break a hash tag, a pattern or a class label', () => {
    for (const c of [
      'trades',
      'trades:',
      'Trades:x',
      'trade-s:x', // a class is [a-z][a-z0-9_]
      'trades:a:b',
      'trades:{x}',
      'trades:x y',
      'trades:*',
      `trades:${'x'.repeat(129)}`,
      `${'c'.repeat(33)}:x`,
    ]) {
      expect(isChannel(c), c).toBe(false);
    }
  });

  it('knows patterns apart from channels', () => {
    expect(isChannelPattern('trades:*')).toBe(true);
    expect(isChannelPattern('trades:user_*')).toBe(true);
    expect(isChannelPattern('trades:user_0001')).toBe(false);
    expect(isChannelPattern('trades:*x')).toBe(false);
    expect(isChannelPattern('*:x*')).toBe(false);
    expect(isChannelOrPattern('trades:user_0001')).toBe(true);
    expect(isChannelOrPattern('trades:user_*')).toBe(true);
    expect(isChannelOrPattern('trades')).toBe(false);
  });

  it('extracts the class of a channel or a pattern', () => {
    expect(channelClass('trades:user_0001')).toBe('trades');
    expect(channelClass('trades:*')).toBe('trades');
  });

  it('builds channels and refuses a bad part', () => {
    expect(channelOf('trades', 'user_0001')).toBe('trades:user_0001');
    expect(() => channelOf('trades', 'a:b')).toThrow(TypeError);
  });

  it('matches a pattern by prefix and a channel by itself', () => {
    expect(channelMatches('trades:*', 'trades:user_0001')).toBe(true);
    expect(channelMatches('trades:user_*', 'trades:user_0001')).toBe(true);
    expect(channelMatches('trades:user_*', 'trades:admin')).toBe(false);
    expect(channelMatches('prices:btc', 'prices:btc')).toBe(true);
    expect(channelMatches('prices:btc', 'prices:btcx')).toBe(false);
  });
});
