import type { PlatformHandlerContext, PlatformRecioEvent, SettingsCopy } from '@recio/service-kit';
import type { StopWatcher } from './stop-watcher.js';
import { markTrade, unwatch, watch } from './supervised-trades.js';

/**
 * The active trade supervisor's reactions (group `active-trade-supervisor` on `prices:btc`,
 * `trades:*`, `settings:*`): ticks check stops; trade events keep the set of open trades.
 */
export function activeTradeHandler(watcher: StopWatcher, settings: SettingsCopy) {
  return async (event: PlatformRecioEvent, { tx, signal }: PlatformHandlerContext): Promise<void> => {
    switch (event.type) {
      case 'price.tick':
        await watcher.onTick(tx, event, event.data, signal);
        return;
      case 'settings.updated':
        await settings.apply(tx, event.data);
        return;
      case 'trade.opened':
      case 'trade.close_failed':
        await watch(tx, event.data.trade);
        return;
      case 'trade.closing':
        // a close under way (manual or auto): no stop is asked for it
        await markTrade(tx, event.data.trade.id, {
          closeRequestedAt: event.data.trade.closingAt ?? event.data.trade.createdAt,
        });
        return;
      case 'trade.closed':
      case 'trade.expired':
      case 'trade.cancelled':
      case 'trade.error':
        await unwatch(tx, event.data.trade.id);
        return;
      default:
        return;
    }
  };
}
