import { consumerGroupOf } from '@recio/platform';
import { poolReader, type ServiceContext } from '@recio/service-kit';
import { registerApi } from './api.js';
import type { TradeManagerConfig } from './config.js';
import { TRADE_MANAGER_TYPES, tradeManagerHandler } from './handlers.js';
import { TradeBook } from './trade-book.js';

/** The consumer group of the trade manager and what it reads. */
export const TRADE_MANAGER_GROUP = consumerGroupOf('trade-manager');

/**
 * trade-manager: owns the trade table. Trades change only here, each change committed with its
 * `trades:<user>` event: on requests (REST or events), executor reports, price ticks (expiry,
 * entry timeouts) and settlements.
 */
export async function startTradeManager(ctx: ServiceContext<TradeManagerConfig>): Promise<void> {
  const book = new TradeBook({
    logger: ctx.logger,
    pendingTimeoutMs: ctx.config.PENDING_TIMEOUT_MS,
    closeTimeoutMs: ctx.config.CLOSE_TIMEOUT_MS,
    settlementOverdueMs: ctx.config.SETTLEMENT_OVERDUE_MS,
    registry: ctx.registry,
    redis: ctx.router.redis,
    reader: poolReader(ctx.pool),
  });
  registerApi(ctx, book);
  await ctx.consume({
    group: TRADE_MANAGER_GROUP.name,
    channels: [...TRADE_MANAGER_GROUP.channels],
    types: TRADE_MANAGER_TYPES,
    // Every effect is a statement or event of `tx`, or a tx.onCommit hook (counters, the due-time
    // version): its offset is checked at COMMIT rather than locked first (docs/consumer.md).
    effects: 'transaction',
    handler: tradeManagerHandler(book),
  });
}
