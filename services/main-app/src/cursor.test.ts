import { describe, expect, it } from 'vitest';
import { Cursor, formatCursor, PageLimit } from './cursor.js';

describe('Cursor', () => {
  it('reads a bare time and the time:id that nextBefore gives', () => {
    expect(Cursor.parse('1754006400000')).toEqual({ ms: 1_754_006_400_000, id: null });
    const id = '2b1e5f6a-0c0d-4e7f-8a9b-0c1d2e3f4a5b';
    expect(Cursor.parse(formatCursor(1_754_006_400_000, id))).toEqual({ ms: 1_754_006_400_000, id });
  });

  it('refuses malformed cursors', () => {
    for (const bad of ['', '-1', '1.5', 'abc', '1:', '1:a b', '1234567890123456'])
      expect(Cursor.safeParse(bad).success, bad).toBe(false);
  });
});

describe('PageLimit', () => {
  it('defaults to 50 and allows 1..200', () => {
    expect(PageLimit.parse(undefined)).toBe(50);
    expect(PageLimit.parse('200')).toBe(200);
    expect(PageLimit.safeParse('201').success).toBe(false);
    expect(PageLimit.safeParse('0').success).toBe(false);
  });
});
