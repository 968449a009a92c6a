import { sleep } from './timing.js';

/**
 * A client-side token bucket: `ratePerSecond` tokens a second, at most `capacity` saved up.
 * Callers are served in arrival order; a caller whose signal aborts leaves the queue.
 */
export class TokenBucket {
  private readonly rate: number;
  private readonly capacity: number;
  private readonly now: () => number;
  private tokens: number;
  private refilledAt: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(ratePerSecond: number, capacity: number, now: () => number = () => performance.now()) {
    if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be > 0');
    if (!(capacity >= 1)) throw new RangeError('capacity must be >= 1');
    this.rate = ratePerSecond;
    this.capacity = capacity;
    this.now = now;
    this.tokens = capacity;
    this.refilledAt = now();
  }

  /** Waits for one token (FIFO). */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.tail.then(() => this.acquire(signal));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.rate);
    this.refilledAt = now;
  }

  private async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000), signal);
    }
  }
}
