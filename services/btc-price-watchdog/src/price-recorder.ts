import { backoffDelay, channelOf, PRICE_CACHE_KEY, PRICE_SERIES_KEY, type BackoffPolicy } from '@recio/contract';
import { averagePrice, changePct, estimateVolatility, momentum, MOMENTUM_HISTORY_MS } from '@recio/domain';
import type { PriceTick } from '@recio/platform';
import { type CacheWrites, type PlatformRouter } from '@recio/service-kit';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { PriceHistory } from './price-history.js';
import type { SecondPrice } from './second-buffer.js';

const HOUR_MS = 3_600_000;
// A failed store is retried at once-ish, then ever more patiently: the feed keeps coming meanwhile.
const STORE_RETRY: BackoffPolicy = { baseMs: 100, maxMs: 5_000 };

/** Options of {@link PriceRecorder}. */
export interface PriceRecorderOptions {
  router: PlatformRouter;
  history: PriceHistory;
  logger: Logger;
  registry: Registry;
  /** Where the cache and time-series writes are counted (the service's one CacheWrites). */
  cache: CacheWrites;
  symbol: string;
  retentionDays: number;
  cacheTtlSeconds: number;
}

/**
 * Stores each finished second and publishes it: the `price_tick` row and the `price.tick` event
 * commit together (ON CONFLICT DO NOTHING: a second stored before is neither stored nor
 * published again). After the commit, the current-price cache and the time series are
 * refreshed. Seconds are recorded one at a time, in order; a failed one is retried.
 */
export class PriceRecorder {
  readonly #o: PriceRecorderOptions;
  readonly #queue: SecondPrice[] = [];
  readonly #stored: Counter;
  #running: Promise<void> | undefined;
  #lastRetentionAt = 0;
  #closed = false;

  constructor(options: PriceRecorderOptions) {
    this.#o = options;
    this.#stored = new Counter({
      name: 'recio_prices_stored_total',
      help: 'Seconds stored and published',
      registers: [options.registry],
    });
  }

  /** Queues a finished second. */
  record(second: SecondPrice): void {
    if (this.#closed) return;
    // A day of backlog at most while PostgreSQL is away; the oldest seconds go first.
    if (this.#queue.length >= 86_400) this.#queue.shift();
    this.#queue.push(second);
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
  }

  /** Finishes what is queued (or gives up at the deadline). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }

  async #drain(): Promise<void> {
    let failures = 0;
    while (this.#queue.length > 0) {
      const second = this.#queue[0]!;
      try {
        await this.#store(second);
        this.#queue.shift();
        failures = 0;
      } catch (err) {
        if (this.#closed) return;
        failures += 1;
        this.#o.logger.warn({ err, at: second.at }, 'storing a price failed; retrying');
        await new Promise((r) => setTimeout(r, backoffDelay(STORE_RETRY, failures)));
      }
    }
  }

  async #store(second: SecondPrice): Promise<void> {
    const { router, history, symbol } = this.#o;
    history.add({ ts: second.at, price: second.price });
    const points = history.points;
    const tick: PriceTick = {
      symbol,
      at: second.at,
      price: second.price,
      momentum: momentum(points, second.at),
      volatility: points.length > 60 ? estimateVolatility(points, second.at) : null,
      avg1m: averagePrice(points, second.at, 60_000),
      change1h: changePct(points, second.at, HOUR_MS),
      change3h: changePct(points, second.at, 3 * HOUR_MS),
      change1d: changePct(points, second.at, 24 * HOUR_MS),
    };
    const { value: inserted } = await router.transaction(async (tx) => {
      const { rowCount } = await tx.query(
        'INSERT INTO price_tick (symbol, ts, price) VALUES ($1, to_timestamp($2::double precision / 1000), $3) ON CONFLICT DO NOTHING',
        [symbol, second.at, second.price],
      );
      if (rowCount === 1) tx.publish(channelOf('prices', symbol), 'price.tick', tick);
      return rowCount === 1;
    });
    if (!inserted) return;
    this.#stored.inc();
    await this.#refreshCache(tick);
    if (second.at - this.#lastRetentionAt >= 10 * 60_000) {
      this.#lastRetentionAt = second.at;
      await this.#enforceRetention(second.at);
    }
  }

  // Cache keys always carry a TTL; the series is trimmed to the longest momentum window.
  async #refreshCache(tick: PriceTick): Promise<void> {
    const { redis } = this.#o.router;
    const series = PRICE_SERIES_KEY.key(tick.symbol);
    await Promise.all([
      this.#o.cache.attempt(PRICE_CACHE_KEY, () =>
        redis.set(PRICE_CACHE_KEY.key(tick.symbol), JSON.stringify(tick), 'EX', this.#o.cacheTtlSeconds),
      ),
      this.#o.cache.attempt(PRICE_SERIES_KEY, () =>
        Promise.all([
          redis.zadd(series, tick.at, `${tick.at}:${tick.price}`),
          redis.zremrangebyscore(series, '-inf', `(${tick.at - MOMENTUM_HISTORY_MS}`),
        ]),
      ),
    ]);
  }

  // 30 days of price history, relative to feed time; deleted in batches so no statement runs long.
  async #enforceRetention(now: number): Promise<void> {
    const horizon = now - this.#o.retentionDays * 86_400_000;
    for (;;) {
      const { rowCount } = await this.#o.router.pool.query(
        `DELETE FROM price_tick WHERE ctid IN (
           SELECT ctid FROM price_tick WHERE symbol = $1 AND ts < to_timestamp($2::double precision / 1000) LIMIT 5000)`,
        [this.#o.symbol, horizon],
      );
      if ((rowCount ?? 0) < 5000) return;
    }
  }
}
