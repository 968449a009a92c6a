import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles from 500 ms to the 10 s ceiling while the process keeps crashing early', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 10_000, resetAfterMs: 30_000 });
    // 500, 1000, 2000, 4000, 8000, then 16000 capped to 10000, and it stays there.
    expect(Array.from({ length: 7 }, () => b.next(100))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it('starts over after a run of at least resetAfterMs, not after a shorter one', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 10_000, resetAfterMs: 30_000 });
    b.next(0);
    b.next(0);
    expect(b.next(29_999)).toBe(2_000);
    expect(b.next(30_000)).toBe(500);
    expect(b.next(10)).toBe(1_000);
  });

  it('reset() forgets earlier crashes', () => {
    const b = new Backoff({ initialMs: 20, maxMs: 80, resetAfterMs: 1_000 });
    b.next(0);
    b.next(0);
    b.reset();
    expect(b.next(0)).toBe(20);
  });
});
