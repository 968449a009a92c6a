import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the base and stops at the maximum', () => {
    const policy = { baseMs: 100, maxMs: 1_000 };
    expect([0, 1, 2, 3, 4, 50].map((a) => backoffDelay(policy, a))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('keeps equal jitter in the upper half of the ceiling and full jitter anywhere below it', () => {
    expect(backoffDelay({ baseMs: 100, maxMs: 30_000, jitter: 'equal' }, 0, () => 0)).toBe(50);
    expect(backoffDelay({ baseMs: 100, maxMs: 30_000, jitter: 'equal' }, 3, () => 1)).toBe(800);
    expect(backoffDelay({ baseMs: 100, maxMs: 30_000, jitter: 'equal' }, 40, () => 0)).toBe(15_000);
    expect(backoffDelay({ baseMs: 100, maxMs: 1_000, jitter: 'full' }, 2, () => 0)).toBe(0);
    expect(backoffDelay({ baseMs: 100, maxMs: 1_000, jitter: 'full' }, 3, () => 0.5)).toBe(400);
  });
});
