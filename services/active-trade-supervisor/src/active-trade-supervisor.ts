import { LIVE_TRADES_KEY } from '@recio/contract';
import { DigitalOptionModel } from '@recio/domain';
import { ExchangeClient } from '@recio/exchange-client';
import { consumerGroupOf } from '@recio/platform';
import {
  ExchangeQuotes,
  SettingsCopy,
  poolReader,
  VersionedState,
  type QuoteSource,
  type ServiceContext,
} from '@recio/service-kit';
import type { ActiveTradeConfig } from './config.js';
import { ACTIVE_TRADE_TYPES, activeTradeHandler } from './handlers.js';
import { StopWatcher, type SupervisedState } from './stop-watcher.js';
import { watchedTrades } from './supervised-trades.js';

/** The consumer group of the active trade supervisor and what it reads. */
export const ACTIVE_TRADE_GROUP = consumerGroupOf('active-trade-supervisor');

/**
 * active-trade-supervisor: on every price tick, every open trade's live probability and pnl
 * (cached for the UI under `cache:trades:<user>:live`) and its auto stop.
 */
export async function startActiveTradeSupervisor(
  ctx: ServiceContext<ActiveTradeConfig>,
  quotes?: QuoteSource,
): Promise<void> {
  const { router, config, logger } = ctx;
  const settings = new SettingsCopy(ACTIVE_TRADE_GROUP.name, logger);
  // Read on every tick, held in memory between changes; a first look, decided again under lock.
  const reader = poolReader(ctx.pool);
  const state = new VersionedState<SupervisedState>({
    group: ACTIVE_TRADE_GROUP.name,
    redis: router.redis,
    logger,
    load: async () => ({ trades: await watchedTrades(reader, false), settings: await settings.all(reader) }),
  });
  const watcher = new StopWatcher({
    quotes:
      quotes ??
      new ExchangeQuotes(new ExchangeClient({ baseUrl: config.EXCHANGE_BASE_URL, maxRetries: 1, timeoutMs: 2_000 })),
    model: new DigitalOptionModel(),
    settings,
    logger,
    registry: ctx.registry,
    staleTickMs: config.STALE_TICK_MS,
    state,
    // A cache with a TTL (never an event: trades channels are kept forever). Best effort.
    publishLive: async (userId, view) => {
      await ctx.cache.attempt(LIVE_TRADES_KEY, () =>
        router.redis.set(LIVE_TRADES_KEY.key(userId), JSON.stringify(view), 'EX', config.LIVE_CACHE_TTL_S),
      );
    },
  });
  await ctx.consume({
    group: ACTIVE_TRADE_GROUP.name,
    channels: [...ACTIVE_TRADE_GROUP.channels],
    types: ACTIVE_TRADE_TYPES,
    // Trade and settings events change only rows of `tx` and, in tx.onCommit, the state version; a
    // tick keeps no offset either way: its offset is checked at COMMIT (docs/consumer.md).
    effects: 'transaction',
    handler: activeTradeHandler(watcher, settings, state),
  });
}
