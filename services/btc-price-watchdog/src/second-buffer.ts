import type { FeedTick } from './coinbase-feed.js';

/** A finished second: the last price seen during it. */
export interface SecondPrice {
  /** Start of the second, ms. */
  at: number;
  price: number;
}

/**
 * Reduces the feed to one price per second, the last tick of that second (DOMAIN.md "Prices").
 * A second is finished when a tick of a later second arrives or, on a quiet feed (the paper
 * world in stepped mode ticks once and then waits), after `quietMs` without a tick. Ticks of a
 * finished second are ignored, so a reconnect that repeats the current ticker stores nothing twice.
 */
export class SecondBuffer {
  readonly #quietMs: number;
  readonly #onSecond: (second: SecondPrice) => void;
  #current: SecondPrice | undefined;
  #lastFinished = -Infinity;
  #timer: NodeJS.Timeout | undefined;

  constructor(quietMs: number, onSecond: (second: SecondPrice) => void) {
    this.#quietMs = quietMs;
    this.#onSecond = onSecond;
  }

  /** Seconds up to and including this one count as finished (e.g. the last stored at start). */
  finishedThrough(at: number): void {
    this.#lastFinished = Math.max(this.#lastFinished, at);
  }

  push(tick: FeedTick): void {
    const at = Math.floor(tick.time / 1000) * 1000;
    if (!Number.isFinite(at) || !(tick.price > 0) || at <= this.#lastFinished) return;
    if (this.#current && at < this.#current.at) return; // out of order within the feed
    if (this.#current && at > this.#current.at) this.#finish();
    this.#current = { at, price: tick.price };
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#finish(), this.#quietMs);
  }

  /** Finishes the current second now (shutdown). */
  flush(): void {
    this.#finish();
  }

  close(): void {
    clearTimeout(this.#timer);
  }

  #finish(): void {
    clearTimeout(this.#timer);
    const second = this.#current;
    if (!second) return;
    this.#current = undefined;
    this.#lastFinished = second.at;
    this.#onSecond(second);
  }
}
