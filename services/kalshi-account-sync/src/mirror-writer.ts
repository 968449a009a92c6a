import { channelOf } from '@recio/contract';
import { parseEvent, type AccountEvent, type PositionEvent } from '@recio/platform';
import type { PlatformTransaction } from '@recio/service-kit';
import type { Logger } from 'pino';
import type { AccountSnapshot } from './exchange-reader.js';
import type { SyncCursors } from './sql/sync-cursors.js';
import { writeSnapshot } from './sql/write-snapshot.js';
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
 * balance that differs. The statement decides what is new, so a repeated or concurrent sync
 * (another process, a restart) announces nothing twice. Resolves to the changes and the user's sync
 * cursors once this commits.
 */
export async function applySnapshot(
  tx: PlatformTransaction,
  userId: string,
  snapshot: AccountSnapshot,
  logger: Logger,
): Promise<{ changes: MirrorChanges; cursors: SyncCursors }> {
  const written = await writeSnapshot(tx, userId, snapshot);
  for (const fill of snapshot.fills) {
    if (written.insertedFills.has(fill.fillId))
      publishAccount(tx, userId, { type: 'fill.recorded', data: { userId, fill } });
  }
  for (const position of written.changedPositions)
    publishPosition(tx, userId, { type: 'position.updated', data: { userId, position } });
  for (const row of snapshot.settlements) {
    if (!written.insertedSettlements.has(row.ticker)) continue;
    const settlement = toSettlementRecord(row);
    if (settlement) publishAccount(tx, userId, { type: 'settlement.recorded', data: { userId, settlement } });
    else
      logger.warn(
        { userId, ticker: row.ticker, marketResult: row.marketResult },
        'settlement stored without an event: its result is neither yes nor no',
      );
  }
  if (written.balanceChanged)
    publishAccount(tx, userId, { type: 'balance.updated', data: { userId, balanceCents: snapshot.balanceCents } });

  return {
    changes: {
      fill: written.insertedFills.size,
      settlement: written.insertedSettlements.size,
      position: written.changedPositions.length,
      order: written.changedOrders,
      balance: written.balanceChanged ? 1 : 0,
    },
    cursors: written.cursors,
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
