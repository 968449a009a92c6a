import type { PositionRecord } from '@recio/platform';
import type { PlatformTransaction } from '@recio/service-kit';
import { POSITION_RETURNING, positionFromRow, type PositionDbRow } from './upsert-positions.js';

/**
 * Flattens stored positions the exchange no longer lists: every open row of the user whose ticker
 * is not in `listed` (every sync reads every position) gets position 0 and no exposure
 * (realized pnl and fees stay). Returns the rows it changed. The exchange may drop a settled or
 * closed market from its position list; a mirror that kept the old count would be wrong forever.
 */
export async function flattenUnlisted(
  tx: PlatformTransaction,
  userId: string,
  listed: readonly string[],
): Promise<PositionRecord[]> {
  const { rows } = await tx.query<PositionDbRow>(
    `UPDATE account_position SET position = 0, market_exposure_cents = 0, updated_at = now()
     WHERE user_id = $1 AND (position <> 0 OR market_exposure_cents <> 0)
       AND NOT (ticker = ANY($2::text[]))
     ${POSITION_RETURNING}`,
    [userId, listed],
  );
  return rows.map(positionFromRow);
}
