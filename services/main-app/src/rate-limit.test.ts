import { describe, expect, it } from 'vitest';
import { TokenBucketLimiter } from './rate-limit.js';

describe('TokenBucketLimiter', () => {
  const clock = (start = 1_000_000) => {
    let t = start;
    return { now: () => t, advance: (ms: number) => void (t += ms) };
  };

  it('allows the burst at once, then the rate', () => {
    const c = clock();
    const limiter = new TokenBucketLimiter({ ratePerSecond: 2, burst: 5, now: c.now });
    const first = Array.from({ length: 7 }, () => limiter.take('user_a').ok);
    expect(first).toEqual([true, true, true, true, true, false, false]);
    // Empty bucket, 2 tokens/s: one token after 500 ms, not before.
    expect(limiter.take('user_a')).toEqual({ ok: false, retryAfterMs: 500 });
    c.advance(499);
    expect(limiter.take('user_a').ok).toBe(false);
    c.advance(1);
    expect(limiter.take('user_a')).toEqual({ ok: true, remaining: 0 });
    // 1.25 s → 2.5 tokens: two requests pass, the third waits for the missing half (250 ms).
    c.advance(1_250);
    expect([limiter.take('user_a').ok, limiter.take('user_a').ok]).toEqual([true, true]);
    expect(limiter.take('user_a')).toEqual({ ok: false, retryAfterMs: 250 });
  });

  it('never holds more than the burst, however long the user was away', () => {
    const c = clock();
    const limiter = new TokenBucketLimiter({ ratePerSecond: 2, burst: 3, now: c.now });
    limiter.take('user_a');
    c.advance(3_600_000);
    expect(Array.from({ length: 4 }, () => limiter.take('user_a').ok)).toEqual([true, true, true, false]);
  });

  it('keeps one bucket per user', () => {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 1, burst: 1, now: () => 0 });
    expect(limiter.take('user_a').ok).toBe(true);
    expect(limiter.take('user_a').ok).toBe(false);
    expect(limiter.take('user_b').ok).toBe(true);
  });

  it('adds nothing when the clock steps back', () => {
    const c = clock();
    const limiter = new TokenBucketLimiter({ ratePerSecond: 1, burst: 1, now: c.now });
    limiter.take('user_a');
    c.advance(-10_000);
    expect(limiter.take('user_a').ok).toBe(false);
    c.advance(10_999); // still 1 ms short of a token since the newest time seen
    expect(limiter.take('user_a').ok).toBe(false);
    c.advance(1);
    expect(limiter.take('user_a').ok).toBe(true);
  });

  it('forgets only refilled buckets when it holds too many', () => {
    const c = clock();
    const limiter = new TokenBucketLimiter({ ratePerSecond: 1, burst: 2, now: c.now, maxKeys: 2 });
    limiter.take('user_a');
    c.advance(1_000); // user_a full again
    limiter.take('user_b');
    limiter.take('user_c'); // over the bound: user_a (full) goes, user_b (1 token) stays
    expect(limiter.size).toBe(2);
    expect([limiter.take('user_b').ok, limiter.take('user_b').ok]).toEqual([true, false]);
  });

  it('names a bad option', () => {
    expect(() => new TokenBucketLimiter({ ratePerSecond: 0, burst: 1 })).toThrow(/ratePerSecond/);
    expect(() => new TokenBucketLimiter({ ratePerSecond: 1, burst: 0.5 })).toThrow(/burst/);
    expect(() => new TokenBucketLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 0 })).toThrow(/maxKeys/);
  });
});
