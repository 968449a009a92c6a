import { closeSecFor, isTopOfHour } from './event-calendar.js';
import { Ledger, type LedgerEvent, type OrderOutcome } from './ledger.js';
import { MarketBook, type SimEvent } from './market-book.js';
import { PricePath, type PriceShock } from './price-path.js';

/** Options of the simulated world. */
export interface WorldOptions {
  /** Seed of every random draw (price path, quote noise, volumes). */
  seed: number | string;
  /** Simulated time at which the world starts (ms). */
  startMs: number;
  /** @defaultValue 100000 */
  startPrice?: number;
  /** True annual volatility of the price path (also the exchange's pricing volatility). @defaultValue 0.5 */
  annualVolatility?: number;
  /** @defaultValue [] */
  shocks?: readonly PriceShock[];
  /** Simulated seconds between ticks (feed and quote messages). @defaultValue 1 */
  tickSeconds?: number;
  /** Contracts offered at each best ask. @defaultValue 500 */
  askSize?: number;
}

/** What happens in the world, in order. */
export type WorldEvent =
  | { type: 'tick'; sec: number; price: number }
  | { type: 'event_opened'; event: SimEvent }
  | { type: 'event_settled'; event: SimEvent }
  | LedgerEvent;

/** A listener of world events; called synchronously, in order. */
export type WorldListener = (event: WorldEvent) => void;

/**
 * The simulated outside world: the BTC price, the hourly events and their quotes, the accounts.
 * Time only moves through `advanceTo`, one simulated second at a time: each second crossed is
 * processed in order (settle the closing event, open the next, tick), so a jump of an hour
 * produces exactly what an hour of real time would.
 */
export class World {
  readonly seed: number | string;
  readonly path: PricePath;
  readonly book: MarketBook;
  readonly ledger: Ledger;
  readonly startSec: number;
  readonly tickSeconds: number;
  private sec: number;
  private readonly listeners = new Set<WorldListener>();

  constructor(options: WorldOptions) {
    const tickSeconds = options.tickSeconds ?? 1;
    if (!(Number.isInteger(tickSeconds) && tickSeconds >= 1))
      throw new RangeError('option tickSeconds: must be an integer >= 1');
    this.seed = options.seed;
    this.tickSeconds = tickSeconds;
    this.path = new PricePath({
      seed: options.seed,
      startMs: options.startMs,
      ...(options.startPrice !== undefined ? { startPrice: options.startPrice } : {}),
      ...(options.annualVolatility !== undefined ? { annualVolatility: options.annualVolatility } : {}),
      ...(options.shocks !== undefined ? { shocks: options.shocks } : {}),
    });
    this.startSec = this.path.startSec;
    this.sec = this.startSec;
    this.book = new MarketBook({ seed: options.seed, path: this.path });
    this.ledger = new Ledger({
      book: this.book,
      ...(options.askSize !== undefined ? { askSize: options.askSize } : {}),
      onEvent: (event) => this.emit(event),
    });
    // The hour in progress at the start opens with strikes around the starting price.
    this.book.openEvent(closeSecFor(this.startSec), this.startSec);
  }

  /** The last processed simulated second. */
  nowSec(): number {
    return this.sec;
  }

  /** The last processed simulated time, in ms. */
  nowMs(): number {
    return this.sec * 1000;
  }

  /** The price now. */
  price(): number {
    return this.path.priceAt(this.sec);
  }

  /** Subscribes to world events; returns the unsubscribe function. */
  on(listener: WorldListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Processes every simulated second up to `ms` (no-op if already there); returns seconds processed. */
  advanceTo(ms: number): number {
    const target = Math.floor(ms / 1000);
    let processed = 0;
    while (this.sec < target) {
      this.sec += 1;
      processed += 1;
      const s = this.sec;
      if (isTopOfHour(s)) {
        const closing = this.book.activeEvent();
        if (closing && closing.closeSec <= s) {
          this.book.settleEvent(closing);
          this.ledger.settleEvent(closing, s);
          this.emit({ type: 'event_settled', event: closing });
        }
        this.emit({ type: 'event_opened', event: this.book.openEvent(s + 3600, s) });
      }
      if ((s - this.startSec) % this.tickSeconds === 0) {
        this.emit({ type: 'tick', sec: s, price: this.path.priceAt(s) });
      }
    }
    return processed;
  }

  /** Places an order for an account at the current simulated second. */
  placeOrder(keyId: string, body: unknown): OrderOutcome {
    return this.ledger.placeOrder(keyId, body, this.sec);
  }

  private emit(event: WorldEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing listener (a socket that broke mid-send) must not stop the world's clock.
      }
    }
  }
}
