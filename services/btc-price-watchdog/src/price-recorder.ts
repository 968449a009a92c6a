import { backoffDelay, channelOf, PRICE_CACHE_KEY, PRICE_SERIES_KEY, type BackoffPolicy } from '@recio/contract';
import { averagePrice, changePct, estimateVolatility, momentum, MOMENTUM_HISTORY_MS } from '@recio/domain';
import type { PriceTick } from '@recio/platform';
import { type CacheWrites, type PlatformRouter } from '@recio/service-kit';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { PriceHistory } from './price-history.js';
import type { SecondPrice } from './second-buffer.js';

const HOUR_MS = 3_600_000;
// A failed publish is retried at once-ish, then ever more patiently: the feed keeps coming meanwhile.
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
  /** Stored seconds are written to `price_tick` in one statement this often (and at close). */
  historyFlushMs: number;
}

/**
 * Publishes each finished second and keeps its history. A price is market data, not business
 * state (ARCHITECTURE invariant 14): the `price.tick` event goes straight to Redis (`prices:btc`, a
 * latest-value channel; its seq is the second's time in ms, so publishing a second again appends
 * nothing), then the current-price cache and the time series are refreshed. The `price_tick`
 * history is written in batches, one statement per `historyFlushMs`, never per second. Seconds are
 * published one at a time, in order; while Redis is away they wait (a day at most) and go out in
 * order when it is back.
 */
export class PriceRecorder {
  readonly #o: PriceRecorderOptions;
  readonly #queue: SecondPrice[] = [];
  /** Published seconds not yet in price_tick (those of a batch being written excepted). */
  readonly #unstored: SecondPrice[] = [];
  /** The first second of the batch being written, while it is. */
  #writingFrom: number | undefined;
  readonly #stored: Counter;
  readonly #published: Counter;
  readonly #flushTimer: NodeJS.Timeout;
  #running: Promise<void> | undefined;
  #flushing: Promise<void> | undefined;
  #lastRetentionAt = 0;
  #closed = false;

  constructor(options: PriceRecorderOptions) {
    this.#o = options;
    this.#published = new Counter({
      name: 'recio_prices_published_total',
      help: 'Seconds published on prices:btc',
      registers: [options.registry],
    });
    this.#stored = new Counter({
      name: 'recio_prices_stored_total',
      help: 'Seconds written to the price_tick history',
      registers: [options.registry],
    });
    this.#flushTimer = setInterval(() => void this.flushHistory(), options.historyFlushMs);
    this.#flushTimer.unref();
  }

  /** Queues a finished second. */
  record(second: SecondPrice): void {
    if (this.#closed) return;
    // A day of backlog at most while Redis is away; the oldest seconds go first.
    if (this.#queue.length >= 86_400) this.#queue.shift();
    this.#queue.push(second);
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
  }

  /**
   * Seconds known from elsewhere (the time series after a restart) that the history lacks: stored
   * with the next batch, not published again.
   */
  backfill(seconds: readonly SecondPrice[]): void {
    this.#unstored.push(...seconds);
  }

  /** Publishes what is queued (or gives up at the deadline), then writes the rest of the history. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#flushTimer);
    await this.#running;
    await this.flushHistory();
  }

  /**
   * Writes the seconds published since the last batch to price_tick in one statement (ON CONFLICT
   * DO NOTHING: a second written before is not written again). A failed batch stays for the next.
   */
  async flushHistory(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (this.#unstored.length === 0) return;
    this.#flushing = (async () => {
      const batch = this.#unstored.splice(0, 10_000);
      this.#writingFrom = batch[0]!.at;
      try {
        const { rowCount } = await this.#o.router.pool.query(
          `INSERT INTO price_tick (symbol, ts, price)
           SELECT $1, to_timestamp(at::double precision / 1000), price FROM unnest($2::bigint[], $3::numeric[]) AS s(at, price)
           ON CONFLICT DO NOTHING`,
          [this.#o.symbol, batch.map((s) => s.at), batch.map((s) => s.price)],
        );
        this.#stored.inc(rowCount ?? 0);
        const newest = batch.at(-1)!.at;
        if (newest - this.#lastRetentionAt >= 10 * 60_000) {
          this.#lastRetentionAt = newest;
          await this.#enforceRetention(newest);
        }
      } catch (err) {
        this.#unstored.unshift(...batch);
        if (this.#unstored.length > 86_400) this.#unstored.splice(0, this.#unstored.length - 86_400);
        this.#o.logger.warn(
          { err, seconds: batch.length },
          'storing the price history failed; retried with the next batch',
        );
      }
    })().finally(() => {
      this.#writingFrom = undefined;
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    let failures = 0;
    while (this.#queue.length > 0) {
      const second = this.#queue[0]!;
      try {
        await this.#publish(second);
        this.#queue.shift();
        failures = 0;
      } catch (err) {
        if (this.#closed) return;
        failures += 1;
        this.#o.logger.warn({ err, at: second.at }, 'publishing a price failed; retrying');
        await new Promise((r) => setTimeout(r, backoffDelay(STORE_RETRY, failures)));
      }
    }
  }

  async #publish(second: SecondPrice): Promise<void> {
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
    const { appended } = await router.publishLatest(channelOf('prices', symbol), 'price.tick', tick, second.at);
    if (!appended) return; // published before (a restart): neither published nor stored again
    this.#published.inc();
    this.#unstored.push(second);
    await this.#refreshCache(tick);
  }

  // Cache keys always carry a TTL. The series is trimmed to the longest momentum window, but never
  // past a second not yet in price_tick: a restart stores those from it (regression: with the feed's
  // clock faster than the flush timer, as in the e2e day, a SIGKILL lost them from the history).
  async #refreshCache(tick: PriceTick): Promise<void> {
    const { redis } = this.#o.router;
    const series = PRICE_SERIES_KEY.key(tick.symbol);
    const keepFrom = Math.min(
      tick.at - MOMENTUM_HISTORY_MS,
      this.#writingFrom ?? Infinity,
      this.#unstored[0]?.at ?? Infinity,
    );
    await Promise.all([
      this.#o.cache.attempt(PRICE_CACHE_KEY, () =>
        redis.set(PRICE_CACHE_KEY.key(tick.symbol), JSON.stringify(tick), 'EX', this.#o.cacheTtlSeconds),
      ),
      this.#o.cache.attempt(PRICE_SERIES_KEY, () =>
        Promise.all([
          redis.zadd(series, tick.at, `${tick.at}:${tick.price}`),
          redis.zremrangebyscore(series, '-inf', `(${keepFrom}`),
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
