import type { PositionRecord } from '@recio/platform';
import type { PlatformTransaction } from '@recio/service-kit';

/** A row of account_position as the driver returns it. */
export interface PositionDbRow {
  ticker: string;
  position: number;
  market_exposure_cents: string;
  realized_pnl_cents: string;
  fees_paid_cents: string;
}

/** A stored position row as a PositionRecord (bigint columns arrive as strings). */
export function positionFromRow(row: PositionDbRow): PositionRecord {
  return {
    ticker: row.ticker,
    position: row.position,
    marketExposureCents: Number(row.market_exposure_cents),
    realizedPnlCents: Number(row.realized_pnl_cents),
    feesPaidCents: Number(row.fees_paid_cents),
  };
}

/** The columns both position statements return. */
export const POSITION_RETURNING =
  'RETURNING ticker, position, market_exposure_cents, realized_pnl_cents, fees_paid_cents';

/**
 * Writes positions, and returns those that were new or differ from the stored row (a row
 * equal to what is stored is not touched): exactly the positions to announce.
 */
export async function upsertPositions(
  tx: PlatformTransaction,
  userId: string,
  positions: readonly PositionRecord[],
): Promise<PositionRecord[]> {
  if (positions.length === 0) return [];
  const { rows } = await tx.query<PositionDbRow>(
    `INSERT INTO account_position AS p (user_id, ticker, position, market_exposure_cents, realized_pnl_cents, fees_paid_cents)
     SELECT $1, x.* FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::bigint[])
       AS x(ticker, position, market_exposure_cents, realized_pnl_cents, fees_paid_cents)
     ON CONFLICT (user_id, ticker) DO UPDATE SET
       position = EXCLUDED.position, market_exposure_cents = EXCLUDED.market_exposure_cents,
       realized_pnl_cents = EXCLUDED.realized_pnl_cents, fees_paid_cents = EXCLUDED.fees_paid_cents, updated_at = now()
     WHERE (p.position, p.market_exposure_cents, p.realized_pnl_cents, p.fees_paid_cents)
       IS DISTINCT FROM (EXCLUDED.position, EXCLUDED.market_exposure_cents, EXCLUDED.realized_pnl_cents, EXCLUDED.fees_paid_cents)
     ${POSITION_RETURNING}`,
    [
      userId,
      positions.map((p) => p.ticker),
      positions.map((p) => p.position),
      positions.map((p) => p.marketExposureCents),
      positions.map((p) => p.realizedPnlCents),
      positions.map((p) => p.feesPaidCents),
    ],
  );
  return rows.map(positionFromRow);
}
