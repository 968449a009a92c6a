import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExchangeAbortedError } from './errors.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves a burst up to capacity, then one token per 1/rate seconds, in order', async () => {
    vi.useFakeTimers();
    let now = 0;
    const bucket = new TokenBucket(2, 2, () => now); // 2 tokens/s, burst of 2
    const served: number[] = [];
    const takes = [1, 2, 3, 4].map((n) => bucket.take().then(() => served.push(n)));
    await vi.advanceTimersByTimeAsync(0);
    expect(served).toEqual([1, 2]);
    now += 500;
    await vi.advanceTimersByTimeAsync(500);
    expect(served).toEqual([1, 2, 3]);
    now += 500;
    await vi.advanceTimersByTimeAsync(500);
    expect(served).toEqual([1, 2, 3, 4]);
    await Promise.all(takes);
  });

  it('lets an aborted waiter leave without stopping the queue', async () => {
    vi.useFakeTimers();
    let now = 0;
    const bucket = new TokenBucket(1, 1, () => now);
    await bucket.take();
    const controller = new AbortController();
    const aborted = bucket.take(controller.signal);
    const next = bucket.take();
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(ExchangeAbortedError);
    now += 1000;
    await vi.advanceTimersByTimeAsync(1000);
    await expect(next).resolves.toBeUndefined();
  });
});
