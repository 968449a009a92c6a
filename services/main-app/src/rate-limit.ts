import { InvalidOptionError } from './errors.js';

/** Options of {@link TokenBucketLimiter}. */
export interface TokenBucketOptions {
  /** Tokens added per second to each key's bucket. */
  ratePerSecond: number;
  /** Bucket size: requests allowed at once after a quiet period. */
  burst: number;
  /** Clock in ms (tests pass their own). @defaultValue Date.now */
  now?: () => number;
  /** Buckets kept; beyond it, full (idle) buckets are forgotten. @defaultValue 10000 */
  maxKeys?: number;
}

/** The answer of {@link TokenBucketLimiter.take}. */
export type TakeResult = { ok: true; remaining: number } | { ok: false; retryAfterMs: number };

const DEFAULTS = { now: Date.now, maxKeys: 10_000 };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (per user): each request takes one token; tokens refill at
 * `ratePerSecond` up to `burst`. In-process state: with several replicas each enforces its own
 * bucket, so a user's ceiling is replicas × rate (the trade manager and the exchange's own
 * limits still apply behind it).
 */
export class TokenBucketLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: TokenBucketOptions) {
    const o = { ...DEFAULTS, ...options };
    if (!(Number.isFinite(o.ratePerSecond) && o.ratePerSecond > 0))
      throw new InvalidOptionError('ratePerSecond', `expected a positive number, got ${o.ratePerSecond}`);
    if (!(Number.isInteger(o.burst) && o.burst >= 1))
      throw new InvalidOptionError('burst', `expected an integer ≥ 1, got ${o.burst}`);
    if (!(Number.isInteger(o.maxKeys) && o.maxKeys >= 1))
      throw new InvalidOptionError('maxKeys', `expected an integer ≥ 1, got ${o.maxKeys}`);
    this.#rate = o.ratePerSecond;
    this.#burst = o.burst;
    this.#now = o.now;
    this.#maxKeys = o.maxKeys;
  }

  /** Takes one token from `key`'s bucket, or says how long until one is there. */
  take(key: string): TakeResult {
    const now = this.#now();
    const bucket = this.#refill(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true, remaining: Math.floor(bucket.tokens) };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) / this.#rate) * 1_000) };
  }

  /** Buckets currently held. */
  get size(): number {
    return this.#buckets.size;
  }

  #refill(key: string, now: number): Bucket {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxKeys) this.#forgetFull(now);
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(key, bucket);
      return bucket;
    }
    // A clock that steps back adds nothing (and takes nothing).
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (elapsed / 1_000) * this.#rate);
    bucket.at = Math.max(bucket.at, now);
    return bucket;
  }

  // A bucket that has refilled completely is the same as no bucket: dropping it changes nothing.
  #forgetFull(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + (Math.max(0, now - b.at) / 1_000) * this.#rate >= this.#burst) this.#buckets.delete(key);
    }
  }
}
