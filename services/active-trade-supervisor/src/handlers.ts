import { parseEvent, type PlatformEvent } from '@recio/platform';
import type { HandlerContext, RecioEvent } from '@recio/router';
import type { SettingsCopy } from '@recio/service-kit';
import type { StopWatcher } from './stop-watcher.js';
import { markTrade, unwatch, watch } from './supervised-trades.js';

/**
 * The active trade supervisor's reactions (group `active-trade-supervisor` on `prices:btc`,
 * `trades:*`, `settings:*`): ticks check stops; trade events keep the set of open trades.
 */
export function activeTradeHandler(watcher: StopWatcher, settings: SettingsCopy) {
  return async (event: RecioEvent, { tx, signal }: HandlerContext): Promise<void> => {
    const e: PlatformEvent = parseEvent(event.channel, event);
    switch (e.type) {
      case 'price.tick':
        await watcher.onTick(tx, event, e.data, signal);
        return;
      case 'settings.updated':
        await settings.apply(tx, e.data);
        return;
      case 'trade.opened':
      case 'trade.close_failed':
        await watch(tx, e.data.trade);
        return;
      case 'trade.closing':
        // a close under way (manual or auto): no stop is asked for it
        await markTrade(tx, e.data.trade.id, { closeRequestedAt: e.data.trade.closingAt ?? e.data.trade.createdAt });
        return;
      case 'trade.closed':
      case 'trade.expired':
      case 'trade.cancelled':
      case 'trade.error':
        await unwatch(tx, e.data.trade.id);
        return;
      default:
        return;
    }
  };
}
