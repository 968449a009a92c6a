import { describe, expect, it } from 'vitest';
import { isPattern, matches, toLike } from './patterns.js';

describe('patterns', () => {
  it('turn into LIKE prefixes with _ and % escaped', () => {
    expect(toLike('trades:*')).toBe('trades:%');
    expect(toLike('trades:user_*')).toBe('trades:user\\_%');
  });

  it('match by prefix', () => {
    expect(matches('trades:user_*', 'trades:user_0001')).toBe(true);
    expect(matches('trades:user_*', 'trades:userX')).toBe(false);
    expect(matches('trades:*', 'positions:user_1')).toBe(false);
    expect(isPattern('trades:*')).toBe(true);
    expect(isPattern('trades:user_1')).toBe(false);
  });
});
