import type { PlatformHandlerContext, PlatformRecioEvent, SettingsCopy } from '@recio/service-kit';
import type { EntryScanner } from './entry-scanner.js';
import { addLiveTrade, removeLiveTrade } from './entry-state.js';

/**
 * The auto-entry supervisor's reactions (group `auto-entry-supervisor` on `prices:btc`,
 * `settings:*`, `trades:*`): ticks scan for entries, settings events update its copy, trade
 * events keep the set of live trades that must not be entered twice.
 */
export function autoEntryHandler(scanner: EntryScanner, settings: SettingsCopy) {
  return async (event: PlatformRecioEvent, { tx, signal }: PlatformHandlerContext): Promise<void> => {
    switch (event.type) {
      case 'price.tick':
        await scanner.onTick(tx, event, event.data, signal);
        return;
      case 'settings.updated':
        await settings.apply(tx, event.data);
        return;
      case 'trade.created':
      case 'trade.opened':
      case 'trade.closing':
      case 'trade.close_failed': {
        const t = event.data.trade;
        await addLiveTrade(tx, { tradeId: t.id, userId: t.userId, marketTicker: t.marketTicker, side: t.side });
        return;
      }
      case 'trade.closed':
      case 'trade.expired':
      case 'trade.cancelled':
      case 'trade.error':
        await removeLiveTrade(tx, event.data.trade.id);
        return;
      default:
        return;
    }
  };
}
