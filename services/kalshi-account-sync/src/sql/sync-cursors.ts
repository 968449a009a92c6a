import type pg from 'pg';

/** Where an incremental sync starts: the newest fill and settlement stored, and the markets of orders that can still change. */
export interface SyncCursors {
  newestFillAt: number | null;
  newestSettlementAt: number | null;
  /** Markets of stored orders still resting (a cancel or a later fill changes them). */
  restingOrderTickers: string[];
}

/** Reads the user's sync cursors (one statement). */
export async function readSyncCursors(pool: pg.Pool, userId: string): Promise<SyncCursors> {
  const { rows } = await pool.query<{ fill_at: Date | null; settlement_at: Date | null; resting: string[] | null }>(
    `SELECT (SELECT max(created_time) FROM account_fill WHERE user_id = $1) AS fill_at,
            (SELECT max(settled_time) FROM account_settlement WHERE user_id = $1) AS settlement_at,
            (SELECT array_agg(DISTINCT ticker) FROM account_order WHERE user_id = $1 AND status = 'resting') AS resting`,
    [userId],
  );
  const row = rows[0];
  return {
    newestFillAt: row?.fill_at ? row.fill_at.getTime() : null,
    newestSettlementAt: row?.settlement_at ? row.settlement_at.getTime() : null,
    restingOrderTickers: row?.resting ?? [],
  };
}
