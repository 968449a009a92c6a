import type { PositionRecord } from '@recio/platform';
import type { Transaction } from '@recio/router';
import { POSITION_RETURNING, positionFromRow, type PositionDbRow } from './upsert-positions.js';

/**
 * Flattens stored positions the exchange no longer lists: among `within` (null = all of the
 * user's), every open row whose ticker is not in `listed` gets position 0 and no exposure
 * (realized pnl and fees stay). Returns the rows it changed. The exchange may drop a settled or
 * closed market from its position list; a mirror that kept the old count would be wrong forever.
 */
export async function flattenUnlisted(tx: Transaction, userId: string, listed: readonly string[], within: readonly string[] | null): Promise<PositionRecord[]> {
  const { rows } = await tx.query<PositionDbRow>(
    `UPDATE account_position SET position = 0, market_exposure_cents = 0, updated_at = now()
     WHERE user_id = $1 AND (position <> 0 OR market_exposure_cents <> 0)
       AND NOT (ticker = ANY($2::text[])) AND ($3::text[] IS NULL OR ticker = ANY($3::text[]))
     ${POSITION_RETURNING}`,
    [userId, listed, within],
  );
  return rows.map(positionFromRow);
}
