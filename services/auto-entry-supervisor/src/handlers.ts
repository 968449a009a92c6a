import { ACTIVE_STATUSES } from '@recio/domain';
import type { TradeStatus } from '@recio/platform';
import type { PlatformHandlerContext, PlatformRecioEvent, SettingsCopy, VersionedState } from '@recio/service-kit';
import { withEntries, type EntryScanner, type TickState } from './entry-scanner.js';
import { addLiveTrade, removeLiveTrade } from './entry-state.js';
import type { RequestedTrades } from './requested-trades.js';

/** The trade events by which the handler keeps a trade's live row: each carries the trade after its transition. */
const TRADE_TYPES = [
  'trade.created',
  'trade.opened',
  'trade.closing',
  'trade.close_failed',
  'trade.closed',
  'trade.expired',
  'trade.cancelled',
  'trade.error',
] as const satisfies readonly PlatformRecioEvent['type'][];

type TradeEvent = Extract<PlatformRecioEvent, { type: (typeof TRADE_TYPES)[number] }>;

const isTradeEvent = (event: PlatformRecioEvent): event is TradeEvent =>
  (TRADE_TYPES as readonly string[]).includes(event.type);

/** The event types the handler below acts on (ConsumeOptions.types): the others cost one statement a run. */
export const AUTO_ENTRY_TYPES = [
  'price.tick',
  'settings.updated',
  ...TRADE_TYPES,
] as const satisfies readonly PlatformRecioEvent['type'][];

/**
 * The events the handler below would apply as nothing (ConsumeOptions.ignores), told from the
 * event alone. A trade has its `auto_entry_live_trade` row exactly while the last of its events
 * left it live (pending, open, closing): so an event whose `from` (the status the event before it
 * left) is as live or not live as its own status changes nothing (`trade.opened` after
 * `trade.created`, `trade.closing`, `trade.closed` after `trade.expired`). A `trade.created` of a
 * trade this process requested finds the row the request wrote (see RequestedTrades). An event
 * without `from` goes to the handler.
 */
export function autoEntryIgnores(requested: RequestedTrades) {
  return (event: PlatformRecioEvent): boolean => {
    if (!isTradeEvent(event)) return false;
    if (event.type === 'trade.created') return requested.has(event.data.trade.id);
    const { trade, from } = event.data;
    return from !== undefined && isLive(from) === isLive(trade.status);
  };
}

const isLive = (status: TradeStatus): boolean => ACTIVE_STATUSES.includes(status);

/**
 * The auto-entry supervisor's reactions (group `auto-entry-supervisor` on `prices:btc`,
 * `settings:*`, `trades:*`): ticks scan for entries, settings events update its copy, trade
 * events keep the set of live trades that must not be entered twice.
 */
export function autoEntryHandler(
  scanner: EntryScanner,
  settings: SettingsCopy,
  state: VersionedState<TickState>,
  requested: RequestedTrades,
) {
  return async (event: PlatformRecioEvent, { tx, signal }: PlatformHandlerContext): Promise<void> => {
    // What the ticks read changes below: every replica's copy is read again after the commit (this
    // one's updated in place when it knows the change).
    const changed = (update?: (s: TickState) => TickState) => tx.onCommit(() => void state.changed(update));
    switch (event.type) {
      case 'price.tick':
        await scanner.onTick(tx, event, event.data, signal);
        return;
      case 'settings.updated':
        await settings.apply(tx, event.data);
        changed();
        return;
      default:
        if (!isTradeEvent(event)) return;
    }
    const t = event.data.trade;
    // Past its trade.created: nothing left to ignore for this trade (a hint only: forgetting costs nothing).
    if (event.type !== 'trade.created') requested.forget(t.id);
    if (isLive(t.status)) {
      const live = { tradeId: t.id, userId: t.userId, marketTicker: t.marketTicker, side: t.side };
      await addLiveTrade(tx, live);
      changed((s) => withEntries(s, new Map(), [live]));
    } else {
      // (Another live trade may share its ticker and side: the copy is read again.)
      await removeLiveTrade(tx, t.id);
      changed();
    }
  };
}
