import type { ExchangeClient } from '@recio/exchange-client';
import type { FillRecord, PositionRecord } from '@recio/platform';
import type { Logger } from 'pino';
import type { SyncCursors } from './sql/sync-cursors.js';
import type { SyncScope } from './sync-scope.js';
import {
  toFillRecord,
  toOrderRow,
  toPositionRecord,
  toSettlementRow,
  type OrderRow,
  type SettlementRow,
} from './wire-records.js';

/** What one sync read from the exchange, ready to be written. */
export interface AccountSnapshot {
  balanceCents: number;
  /** Every position the exchange lists: a stored open position it does not list is flat now. */
  positions: PositionRecord[];
  /** Oldest first, the order in which they are announced. */
  fills: FillRecord[];
  /** Oldest first. */
  settlements: SettlementRow[];
  orders: OrderRow[];
}

/** Options of {@link readSnapshot}. */
export interface ReadSnapshotOptions {
  /**
   * How far before the newest stored fill (settlement) an incremental read starts again, for
   * records the exchange lists slightly out of time order. Anything older that was missed is
   * caught by the next full resync.
   */
  overlapMs: number;
  signal: AbortSignal;
  logger: Logger;
}

/**
 * Reads what `scope` covers. Settlements are read before fills: a market settles only after
 * its last fill, so every fill of a settlement seen here is in the fills read after it, and a
 * fill is never announced after its market's settlement.
 */
export async function readSnapshot(
  client: ExchangeClient,
  scope: SyncScope,
  cursors: SyncCursors | null,
  options: ReadSnapshotOptions,
): Promise<AccountSnapshot> {
  const call = { signal: options.signal };
  const since = (newest: number | null | undefined) =>
    scope.full || newest === null || newest === undefined ? null : newest - options.overlapMs;

  const settlementCutoff = since(cursors?.newestSettlementAt);
  const settlements = await newestUntil(
    client.getSettlements(settlementCutoff === null ? {} : { min_ts: Math.floor(settlementCutoff / 1000) }, call),
    (s) => Date.parse(s.settled_time),
    settlementCutoff,
  );

  const fillCutoff = since(cursors?.newestFillAt);
  const wireFills = await newestUntil(
    client.getFills(fillCutoff === null ? {} : { min_ts: Math.floor(fillCutoff / 1000) }, call),
    (f) => Date.parse(f.created_time),
    fillCutoff,
  );
  const fills: FillRecord[] = [];
  for (const wire of wireFills) {
    const fill = toFillRecord(wire);
    if (fill && Number.isFinite(fill.createdAt)) fills.push(fill);
    else if (wire.count > 0) options.logger.error({ fill: wire }, 'fill with an unreadable time skipped');
  }

  // Every position, in every sync: a settlement or a fill read here may be of a market the
  // scope does not name, and its position must change in the same transaction as its event, or
  // the mirror shows a settled market still held until the next message. It is one request.
  const positions: PositionRecord[] = (await client.listPositionsAll({}, call)).map(toPositionRecord);

  let orders: OrderRow[];
  if (scope.full) {
    orders = (await client.listOrdersAll({}, call)).map(toOrderRow);
  } else {
    // The orders that can have changed: those of the markets named, of the new fills, and the resting ones.
    const tickers = new Set([...scope.tickers, ...fills.map((f) => f.ticker), ...(cursors?.restingOrderTickers ?? [])]);
    orders = [];
    for (const ticker of tickers) orders.push(...(await client.listOrdersAll({ ticker }, call)).map(toOrderRow));
  }

  const balance = await client.getBalance(call);
  return {
    balanceCents: balance.balance,
    positions: unique(positions, (p) => p.ticker),
    fills: unique(fills, (f) => f.fillId),
    settlements: unique(settlements.map(toSettlementRow), (s) => s.ticker),
    orders: unique(orders, (o) => o.orderId),
  };
}

// The exchange lists newest first: read until an item older than `cutoff` (null = every page),
// and return them oldest first.
async function newestUntil<T>(
  items: AsyncIterable<T>,
  timeOf: (item: T) => number,
  cutoff: number | null,
): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    if (cutoff !== null && timeOf(item) < cutoff) break;
    out.push(item);
  }
  return out.reverse();
}

// One row per key (the last one read wins): a multi-row upsert may not touch a row twice.
function unique<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((item) => [key(item), item])).values()];
}
