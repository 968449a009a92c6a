import type { PlatformHandlerContext, PlatformRecioEvent } from '@recio/service-kit';
import type { TradeBook } from './trade-book.js';

/** The event types the handler below acts on (ConsumeOptions.types): the others cost one statement a run. */
export const TRADE_MANAGER_TYPES = [
  'trade.open_requested',
  'trade.close_requested',
  'order.filled',
  'order.rejected',
  'price.tick',
  'settlement.recorded',
] as const satisfies readonly PlatformRecioEvent['type'][];

/**
 * The trade manager's reactions, one consumer group on `trades:*`, `prices:btc` and `account:*`:
 * requests from supervisors, the executor's reports, the clock (price ticks) and settlements.
 * Its own trade.* events come back on `trades:*` and are ignored.
 */
export function tradeManagerHandler(book: TradeBook) {
  return async (event: PlatformRecioEvent, { tx }: PlatformHandlerContext): Promise<void> => {
    switch (event.type) {
      case 'trade.open_requested':
        await book.open(tx, event.data);
        return;
      case 'trade.close_requested':
        await closeOrLog(book, tx, event.data);
        return;
      case 'order.filled':
        await book.filled(tx, event.data);
        return;
      case 'order.rejected':
        await book.rejected(tx, event.data);
        return;
      case 'price.tick': {
        const { at, price } = event.data;
        await book.tick(tx, at, price);
        return;
      }
      case 'settlement.recorded': {
        const { userId, settlement } = event.data;
        await book.settle(tx, userId, settlement);
        return;
      }
      default:
        return;
    }
  };
}

// A close request for a trade that has moved on (closed by expiry, already closing) is not an
// error of the event: the requester's view was older than the trade's.
async function closeOrLog(
  book: TradeBook,
  tx: PlatformHandlerContext['tx'],
  request: Parameters<TradeBook['requestClose']>[1],
): Promise<void> {
  try {
    await book.requestClose(tx, request);
  } catch (err) {
    if (
      (err as { code?: string }).code === 'ILLEGAL_TRANSITION' ||
      (err as { code?: string }).code === 'TRADE_NOT_FOUND'
    )
      return;
    throw err;
  }
}
