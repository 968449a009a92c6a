import { describe, expect, it } from 'vitest';
import { integer, since } from './args.js';

describe('since', () => {
  it('reads seq:N and ISO times with a zone', () => {
    expect(since('seq:0')).toEqual({ sinceSeq: 0 });
    expect(since('seq:42')).toEqual({ sinceSeq: 42 });
    expect(since('2025-08-01T00:00:00Z')).toEqual({ sinceTime: new Date(Date.UTC(2025, 7, 1)) });
    expect(since('2025-08-01T02:00:00+02:00')).toEqual({ sinceTime: new Date(Date.UTC(2025, 7, 1)) });
    expect(since('2025-08-01')).toEqual({ sinceTime: new Date(Date.UTC(2025, 7, 1)) });
  });

  it.each([
    'yesterday',
    '1690000000',
    'seq:-1',
    'seq:x',
    '2025-08-01T00:00:00',
    '2025-13-01T00:00:00Z',
    'seq:99999999999999999999',
  ])('rejects %s with USAGE', (value) => {
    expect(() => since(value)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('integer', () => {
  it('falls back, parses, and enforces the minimum', () => {
    expect(integer({}, 'limit', 5)).toBe(5);
    expect(integer({ limit: '12' }, 'limit', 5)).toBe(12);
    expect(() => integer({ limit: '0' }, 'limit', 5, 1)).toThrow('--limit must be an integer ≥ 1');
    expect(() => integer({ limit: '1e3' }, 'limit', 5)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});
