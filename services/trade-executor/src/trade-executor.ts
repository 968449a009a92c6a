import { consumerGroupOf } from '@recio/platform';
import type { ServiceContext } from '@recio/service-kit';
import type { ExecutorConfig } from './config.js';
import { Executor } from './executor.js';
import { ClientExchange, type Exchange } from './order-placer.js';

/** The consumer group of the trade executor and what it reads. */
export const EXECUTOR_GROUP = consumerGroupOf('trade-executor');

/**
 * trade-executor: places the orders of `trade.created` and `trade.closing` and reports the outcome;
 * asks the exchange what became of a cancelled entry (again while unanswered) and of an unconfirmed close.
 */
export async function startTradeExecutor(ctx: ServiceContext<ExecutorConfig>, exchange?: Exchange): Promise<void> {
  const { config } = ctx;
  const executor = new Executor(
    exchange ?? new ClientExchange(config.EXCHANGE_BASE_URL, config.credentials, config.EXCHANGE_TIMEOUT_MS),
    ctx.logger,
    ctx.registry,
  );
  await ctx.consume({
    group: EXECUTOR_GROUP.name,
    channels: [...EXECUTOR_GROUP.channels],
    // Orders talk to the outside: a few more tries (with backoff) before a dead letter, and each
    // trade's run in a transaction of its own (another trade's failure never places an order again).
    maxDeliveries: 8,
    channelsPerTransaction: 1,
    transactions: 8,
    // The events it places orders for or asks about; the others cost one statement a run.
    types: ['trade.created', 'trade.closing', 'trade.cancelled', 'trade.entry_unconfirmed', 'trade.close_unconfirmed'],
    handler: async (event, { tx, signal }) => {
      if (event.type === 'trade.created') await executor.enter(tx, event.data.trade, signal);
      else if (event.type === 'trade.closing') await executor.close(tx, event.data.trade, signal);
      else if (event.type === 'trade.cancelled' || event.type === 'trade.entry_unconfirmed')
        await executor.confirmCancelledEntry(tx, event.data.trade, signal);
      else if (event.type === 'trade.close_unconfirmed') await executor.confirmClose(tx, event.data.trade, signal);
    },
  });
}
