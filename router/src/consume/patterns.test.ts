import { describe, expect, it } from 'vitest';
import { toLike } from './patterns.js';

describe('toLike', () => {
  it('turns a pattern into a LIKE prefix with _ and % escaped', () => {
    expect(toLike('trades:*')).toBe('trades:%');
    expect(toLike('trades:user_*')).toBe('trades:user\\_%');
  });
});
