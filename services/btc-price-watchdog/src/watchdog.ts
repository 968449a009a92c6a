import { PRICE_SERIES_KEY } from '@recio/contract';
import type { HealthChange } from '@recio/platform';
import type { RedisClient } from '@recio/router';
import type { ServiceContext } from '@recio/service-kit';
import { Gauge } from 'prom-client';
import { CoinbaseFeed } from './coinbase-feed.js';
import type { WatchdogConfig } from './config.js';
import { PriceHistory } from './price-history.js';
import { PriceRecorder } from './price-recorder.js';
import { SecondBuffer, type SecondPrice } from './second-buffer.js';

const SYMBOL = 'btc';

/**
 * btc-price-watchdog: feed → one price per second → `prices:btc` (latest-value, Redis only), the
 * cache and the time series, and `price_tick` in batches; a dead feed raises `system:health`. Its only timer is the feed's silence
 * watch: it talks to the outside world and never polls anything of the platform.
 */
export async function startWatchdog(ctx: ServiceContext<WatchdogConfig>): Promise<{ ready: () => boolean }> {
  const { config, logger, router, registry } = ctx;
  const history = new PriceHistory();
  await history.load(ctx.pool, SYMBOL);
  // Seconds published before a restart but not yet in the history (it is written in batches) are in
  // the time series: momentum goes on from them, and they are stored with the first batch.
  const recent = await seriesAfter(router.redis, SYMBOL, history.lastTs ?? 0).catch((err: unknown) => {
    logger.warn({ err }, 'the price time series could not be read; momentum starts from the stored history');
    return [];
  });
  for (const s of recent) history.add({ ts: s.at, price: s.price });
  const recorder = new PriceRecorder({
    router,
    history,
    logger,
    registry,
    cache: ctx.cache,
    symbol: SYMBOL,
    retentionDays: config.PRICE_RETENTION_DAYS,
    cacheTtlSeconds: config.PRICE_CACHE_TTL_S,
    historyFlushMs: config.PRICE_HISTORY_FLUSH_MS,
  });
  recorder.backfill(recent);
  const buffer = new SecondBuffer(config.FLUSH_QUIET_MS, (second) => recorder.record(second));
  if (history.lastTs !== null) buffer.finishedThrough(history.lastTs);

  const feedUp = new Gauge({
    name: 'recio_price_feed_up',
    help: '1 while the price feed delivers messages',
    registers: [registry],
  });
  const feed = new CoinbaseFeed({
    url: config.feedUrl,
    product: config.PRICE_PRODUCT,
    logger,
    deadAfterMs: config.FEED_DEAD_MS,
  });
  let reported: HealthChange['status'] | null = null;
  const report = (status: 'up' | 'down', detail: string) => {
    feedUp.set(status === 'up' ? 1 : 0);
    if (reported === status || ctx.signal.aborted) return;
    const change: HealthChange = { component: 'price-feed', status, previous: reported, detail, at: Date.now() };
    reported = status;
    router
      .publish('system:health', 'health.changed', change)
      .catch((err) => logger.warn({ err }, 'health event not published'));
  };
  feed.on('tick', (tick) => buffer.push(tick));
  feed.on('up', () => report('up', `receiving ${config.PRICE_PRODUCT} from ${config.feedUrl}`));
  feed.on('down', (reason) => report('down', reason));
  feed.start();
  logger.info(
    { source: config.PRICE_SOURCE, url: config.feedUrl, through: history.lastTs, fromSeries: recent.length },
    'price feed started',
  );

  ctx.onClose(async () => {
    feed.close();
    buffer.flush();
    buffer.close();
    await recorder.close();
  });
  return { ready: () => true };
}

/** The seconds of the time series (`ts:prices:<symbol>`, members `<at>:<price>`) after `afterMs`. */
async function seriesAfter(redis: RedisClient, symbol: string, afterMs: number): Promise<SecondPrice[]> {
  const members = await redis.zrangebyscore(PRICE_SERIES_KEY.key(symbol), `(${afterMs}`, '+inf');
  return members.flatMap((m) => {
    const [at, price] = m.split(':').map(Number);
    return Number.isSafeInteger(at) && Number.isFinite(price) ? [{ at: at!, price: price! }] : [];
  });
}
