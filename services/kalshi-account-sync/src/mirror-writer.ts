import { channelOf } from '@recio/contract';
import { parseEvent, type AccountEvent, type PositionEvent, type PositionRecord } from '@recio/platform';
import type { PlatformTransaction } from '@recio/service-kit';
import type { Logger } from 'pino';
import type { AccountSnapshot } from './exchange-reader.js';
import { flattenUnlisted } from './sql/flatten-positions.js';
import { insertFills } from './sql/insert-fills.js';
import { insertSettlements } from './sql/insert-settlements.js';
import { upsertBalance } from './sql/upsert-balance.js';
import { upsertOrders } from './sql/upsert-orders.js';
import { upsertPositions } from './sql/upsert-positions.js';
import { toSettlementRecord } from './wire-records.js';

/** Rows a sync inserted or changed, by table. */
export interface MirrorChanges {
  fill: number;
  settlement: number;
  position: number;
  order: number;
  balance: number;
}

/**
 * Writes a snapshot of one user's account inside `tx` and publishes, in the same transaction,
 * an event for each thing that changed and for nothing else: `fill.recorded` for a fill stored
 * for the first time, `position.updated` for a position row that is new or differs,
 * `settlement.recorded` for a settlement stored for the first time, `balance.updated` for a
 * balance that differs. The statements decide what is new, so a repeated or concurrent sync
 * (another process, a restart) announces nothing twice.
 */
export async function applySnapshot(
  tx: PlatformTransaction,
  userId: string,
  snapshot: AccountSnapshot,
  logger: Logger,
): Promise<MirrorChanges> {
  const inserted = await insertFills(tx, userId, snapshot.fills);
  for (const fill of snapshot.fills) {
    if (inserted.has(fill.fillId)) publishAccount(tx, userId, { type: 'fill.recorded', data: { userId, fill } });
  }

  const changed: PositionRecord[] = [
    ...(await upsertPositions(tx, userId, snapshot.positions)),
    ...(await flattenUnlisted(
      tx,
      userId,
      snapshot.positions.map((p) => p.ticker),
    )),
  ];
  changed.sort((a, b) => (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0));
  for (const position of changed) publishPosition(tx, userId, { type: 'position.updated', data: { userId, position } });

  const settled = await insertSettlements(tx, userId, snapshot.settlements);
  for (const row of snapshot.settlements) {
    if (!settled.has(row.ticker)) continue;
    const settlement = toSettlementRecord(row);
    if (settlement) publishAccount(tx, userId, { type: 'settlement.recorded', data: { userId, settlement } });
    else
      logger.warn(
        { userId, ticker: row.ticker, marketResult: row.marketResult },
        'settlement stored without an event: its result is neither yes nor no',
      );
  }

  const orders = await upsertOrders(tx, userId, snapshot.orders);

  const balance = await upsertBalance(tx, userId, snapshot.balanceCents);
  if (balance)
    publishAccount(tx, userId, { type: 'balance.updated', data: { userId, balanceCents: snapshot.balanceCents } });

  return {
    fill: inserted.size,
    settlement: settled.size,
    position: changed.length,
    order: orders,
    balance: balance ? 1 : 0,
  };
}

// Checked against the platform's schema before it is queued: a malformed event rolls the sync
// back (and is retried) instead of reaching a consumer's dead letters.
function publishAccount(tx: PlatformTransaction, userId: string, event: AccountEvent): void {
  const channel = channelOf('account', userId);
  parseEvent(channel, event);
  tx.publish(channel, event.type, event.data);
}

function publishPosition(tx: PlatformTransaction, userId: string, event: PositionEvent): void {
  const channel = channelOf('positions', userId);
  parseEvent(channel, event);
  tx.publish(channel, event.type, event.data);
}
