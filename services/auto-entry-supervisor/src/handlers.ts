import type { PlatformHandlerContext, PlatformRecioEvent, SettingsCopy, VersionedState } from '@recio/service-kit';
import type { EntryScanner, TickState } from './entry-scanner.js';
import { addLiveTrade, removeLiveTrade } from './entry-state.js';

/** The event types the handler below acts on (ConsumeOptions.types): the others cost one statement a run. */
export const AUTO_ENTRY_TYPES = [
  'price.tick',
  'settings.updated',
  'trade.created',
  'trade.opened',
  'trade.closing',
  'trade.close_failed',
  'trade.closed',
  'trade.expired',
  'trade.cancelled',
  'trade.error',
] as const satisfies readonly PlatformRecioEvent['type'][];

/**
 * The auto-entry supervisor's reactions (group `auto-entry-supervisor` on `prices:btc`,
 * `settings:*`, `trades:*`): ticks scan for entries, settings events update its copy, trade
 * events keep the set of live trades that must not be entered twice.
 */
export function autoEntryHandler(scanner: EntryScanner, settings: SettingsCopy, state: VersionedState<TickState>) {
  return async (event: PlatformRecioEvent, { tx, signal }: PlatformHandlerContext): Promise<void> => {
    // What the ticks read changes below: every replica's copy is read again after the commit.
    const changed = () => tx.onCommit(() => state.changed());
    switch (event.type) {
      case 'price.tick':
        await scanner.onTick(tx, event, event.data, signal);
        return;
      case 'settings.updated':
        await settings.apply(tx, event.data);
        changed();
        return;
      case 'trade.created':
      case 'trade.opened':
      case 'trade.closing':
      case 'trade.close_failed': {
        const t = event.data.trade;
        await addLiveTrade(tx, { tradeId: t.id, userId: t.userId, marketTicker: t.marketTicker, side: t.side });
        changed();
        return;
      }
      case 'trade.closed':
      case 'trade.expired':
      case 'trade.cancelled':
      case 'trade.error':
        await removeLiveTrade(tx, event.data.trade.id);
        changed();
        return;
      default:
        return;
    }
  };
}
