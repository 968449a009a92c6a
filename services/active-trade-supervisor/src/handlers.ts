import type { PlatformHandlerContext, PlatformRecioEvent, SettingsCopy, VersionedState } from '@recio/service-kit';
import type { StopWatcher, SupervisedState } from './stop-watcher.js';
import { markTrade, unwatch, watch, withWatched } from './supervised-trades.js';

/** The event types the handler below acts on (ConsumeOptions.types): the others cost one statement a run. */
export const ACTIVE_TRADE_TYPES = [
  'price.tick',
  'settings.updated',
  'trade.opened',
  'trade.close_failed',
  'trade.closing',
  'trade.closed',
  'trade.expired',
  'trade.cancelled',
  'trade.error',
] as const satisfies readonly PlatformRecioEvent['type'][];

/**
 * The active trade supervisor's reactions (group `active-trade-supervisor` on `prices:btc`,
 * `trades:*`, `settings:*`): ticks check stops; trade events keep the set of open trades.
 */
export function activeTradeHandler(
  watcher: StopWatcher,
  settings: SettingsCopy,
  state: VersionedState<SupervisedState>,
) {
  return async (event: PlatformRecioEvent, { tx, signal }: PlatformHandlerContext): Promise<void> => {
    // What the ticks read changes below: every replica's copy is read again after the commit (this
    // one's updated in place when it knows the change).
    const changed = (update?: (s: SupervisedState) => SupervisedState) => tx.onCommit(() => void state.changed(update));
    switch (event.type) {
      case 'price.tick':
        await watcher.onTick(tx, event, event.data, signal);
        return;
      case 'settings.updated':
        await settings.apply(tx, event.data);
        changed();
        return;
      case 'trade.opened':
      case 'trade.close_failed': {
        const watched = await watch(tx, event.data.trade);
        changed((s) => ({ ...s, trades: withWatched(s.trades, watched) }));
        return;
      }
      case 'trade.closing':
        // a close under way (manual or auto): no stop is asked for it
        await markTrade(tx, event.data.trade.id, {
          closeRequestedAt: event.data.trade.closingAt ?? event.data.trade.createdAt,
        });
        changed();
        return;
      case 'trade.closed':
      case 'trade.expired':
      case 'trade.cancelled':
      case 'trade.error':
        await unwatch(tx, event.data.trade.id);
        changed();
        return;
      default:
        return;
    }
  };
}
