import type { OpenRequest, TradeSnapshot } from '@recio/platform';
import {
  tradeSnapshotOfRow as toSnapshot,
  type TradeRow,
  type PlatformTransaction,
  type Reader,
} from '@recio/service-kit';

const ts = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** Writes a requested trade `pending`; null when a trade with that id exists (a repeated request). */
export async function insertTrade(tx: PlatformTransaction, r: OpenRequest): Promise<TradeSnapshot | null> {
  const { rows } = await tx.query<TradeRow>(
    `INSERT INTO trade (id, user_id, symbol, event_ticker, market_ticker, strike, side, count, status, entry_method,
                        limit_price_cents, probability, diff, momentum, volatility, price_at_open, market_close_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11, $12, $13, $14, $15, $16, $17)
     ON CONFLICT (id) DO NOTHING
     RETURNING *`,
    [
      r.tradeId,
      r.userId,
      r.symbol,
      r.eventTicker,
      r.marketTicker,
      r.strike,
      r.side,
      r.count,
      r.entryMethod,
      r.limitPriceCents,
      r.probability,
      r.diff,
      r.momentum,
      r.volatility,
      r.priceAtOpen,
      ts(r.marketCloseAt),
      ts(r.requestedAt),
    ],
  );
  return rows[0] ? toSnapshot(rows[0]) : null;
}

/** The trade, locked for this transaction; null when unknown. */
export async function lockTrade(tx: PlatformTransaction, id: string): Promise<TradeSnapshot | null> {
  const { rows } = await tx.query<TradeRow>('SELECT * FROM trade WHERE id = $1 FOR UPDATE', [id]);
  return rows[0] ? toSnapshot(rows[0]) : null;
}

/** Stores a trade's mutable fields after a transition; resolves to the status the row had before. */
export async function saveTrade(tx: PlatformTransaction, t: TradeSnapshot): Promise<TradeSnapshot['status']> {
  const { rows } = await tx.query<{ previous: TradeSnapshot['status'] }>(
    `WITH before AS (SELECT status FROM trade WHERE id = $1)
     UPDATE trade SET status = $2, status_reason = $3, close_method = $4, close_reason = $5, buy_price_cents = $6,
            close_fill_cents = $7, sell_price_cents = $8, fees_cents = $9, pnl_cents = $10, win_loss = $11,
            close_attempts = $12, price_at_close = $13, opened_at = $14, closing_at = $15, expired_at = $16,
            closed_at = $17, updated_at = now()
      WHERE id = $1
      RETURNING (SELECT status FROM before) AS previous`,
    [
      t.id,
      t.status,
      t.statusReason,
      t.closeMethod,
      t.closeReason,
      t.buyPriceCents,
      t.closeFillCents,
      t.sellPriceCents,
      t.feesCents,
      t.pnlCents,
      t.winLoss,
      t.closeAttempts,
      t.priceAtClose,
      ts(t.openedAt),
      ts(t.closingAt),
      ts(t.expiredAt),
      ts(t.closedAt),
    ],
  );
  if (!rows[0]) throw new Error(`trade ${t.id} is not stored`);
  return rows[0].previous;
}

/** What a price tick makes due: trades to expire, entries to cancel, closes to confirm. */
export interface DueTrades {
  /** Open past their market's close, or pending past the timeout: locked. */
  transitions: TradeSnapshot[];
  /** Closing with no outcome for a close timeout since the request or the last check; marked checked. */
  unconfirmedCloses: { trade: TradeSnapshot; checkedBefore: boolean }[];
  /** Cancelled for no outcome, the exchange's answer still missing a close timeout after the cancel or the last check; marked checked. */
  unconfirmedEntries: TradeSnapshot[];
}

/** The trades a price tick at `at` makes due (see {@link DueTrades}), in one statement most ticks. */
export async function tradesDue(
  tx: PlatformTransaction,
  at: number,
  timeouts: { pendingMs: number; closeMs: number },
): Promise<DueTrades> {
  // GREATEST ignores a NULL check: a new close attempt (a later closing_at) starts its own timeout.
  const { rows } = await tx.query<TradeRow & { close_checked_at: Date | null }>(
    `SELECT * FROM trade
      WHERE (status = 'open' AND market_close_at <= $1) OR (status = 'pending' AND created_at <= $2)
         OR (status = 'closing' AND GREATEST(closing_at, close_checked_at) <= $3)
         OR (status = 'cancelled' AND entry_unconfirmed AND GREATEST(closed_at, entry_checked_at) <= $3)
      ORDER BY id FOR UPDATE`,
    [new Date(at), new Date(at - timeouts.pendingMs), new Date(at - timeouts.closeMs)],
  );
  const due: DueTrades = { transitions: [], unconfirmedCloses: [], unconfirmedEntries: [] };
  for (const row of rows) {
    if (row.status === 'cancelled') {
      await tx.query('UPDATE trade SET entry_checked_at = $2 WHERE id = $1', [row.id, new Date(at)]);
      due.unconfirmedEntries.push(toSnapshot(row));
      continue;
    }
    if (row.status !== 'closing') {
      due.transitions.push(toSnapshot(row));
      continue;
    }
    await tx.query('UPDATE trade SET close_checked_at = $2 WHERE id = $1', [row.id, new Date(at)]);
    const checkedBefore = row.close_checked_at !== null && row.close_checked_at > row.closing_at!;
    due.unconfirmedCloses.push({ trade: toSnapshot(row), checkedBefore });
  }
  return due;
}

/**
 * Marks a trade just cancelled for no outcome as waiting for the exchange's answer about its entry
 * (asked again each close timeout until {@link confirmEntry}).
 */
export async function markEntryUnconfirmed(tx: PlatformTransaction, id: string): Promise<void> {
  await tx.query('UPDATE trade SET entry_unconfirmed = true, entry_checked_at = NULL WHERE id = $1', [id]);
}

/** The exchange answered about a cancelled trade's entry: no more asking. Whether it was still waiting. */
export async function confirmEntry(tx: PlatformTransaction, id: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    'UPDATE trade SET entry_unconfirmed = false WHERE id = $1 AND entry_unconfirmed',
    [id],
  );
  return rowCount === 1;
}

/** Expired trades whose settlement is overdue and not yet reported; marks them reported. */
export async function markSettlementOverdue(
  tx: PlatformTransaction,
  at: number,
  overdueMs: number,
): Promise<TradeSnapshot[]> {
  const { rows } = await tx.query<TradeRow>(
    `UPDATE trade SET settlement_overdue = true
      WHERE status = 'expired' AND NOT settlement_overdue AND expired_at <= $1
      RETURNING *`,
    [new Date(at - overdueMs)],
  );
  return rows.map(toSnapshot);
}

/**
 * A user's expired trades on one market: what its settlement closes. Open ones are locked too,
 * and only then filtered: a price tick expiring them at this moment holds their locks, so this
 * waits for it and sees them expired (FOR UPDATE re-reads a row changed while it waited), rather
 * than skip them as open while the tick, not yet seeing this settlement, leaves them expired.
 */
export async function expiredTradesOf(
  tx: PlatformTransaction,
  userId: string,
  ticker: string,
): Promise<TradeSnapshot[]> {
  const { rows } = await tx.query<TradeRow>(
    `SELECT * FROM trade WHERE user_id = $1 AND market_ticker = $2 AND status IN ('open', 'expired') ORDER BY id FOR UPDATE`,
    [userId, ticker],
  );
  return rows.map(toSnapshot).filter((t) => t.status === 'expired');
}

/** A known settlement. */
export interface KnownSettlement {
  marketResult: 'yes' | 'no';
  settledAt: number;
}

/** Remembers a settlement (idempotent). */
export async function rememberSettlement(
  tx: PlatformTransaction,
  userId: string,
  ticker: string,
  s: KnownSettlement,
): Promise<void> {
  await tx.query(
    'INSERT INTO trade_settlement (user_id, ticker, market_result, settled_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
    [userId, ticker, s.marketResult, new Date(s.settledAt)],
  );
}

/** The settlement of a user's market, if it has arrived. */
export async function knownSettlement(
  tx: PlatformTransaction,
  userId: string,
  ticker: string,
): Promise<KnownSettlement | null> {
  const { rows } = await tx.query<{ market_result: 'yes' | 'no'; settled_at: Date }>(
    'SELECT market_result, settled_at FROM trade_settlement WHERE user_id = $1 AND ticker = $2',
    [userId, ticker],
  );
  const r = rows[0];
  return r ? { marketResult: r.market_result, settledAt: r.settled_at.getTime() } : null;
}

/** One trade, unlocked (REST reads). */
export async function findTrade(
  query: (text: string, values: unknown[]) => Promise<{ rows: TradeRow[] }>,
  id: string,
): Promise<TradeSnapshot | null> {
  const { rows } = await query('SELECT * FROM trade WHERE id = $1', [id]);
  return rows[0] ? toSnapshot(rows[0]) : null;
}

/**
 * The feed time (ms) at which a tick first has something to do — an open trade's market closes, a
 * pending one times out, a closing one or a cancelled one's entry is due to be asked about, an expired one's settlement is
 * overdue (checked at the first minute after, as the tick does) — or null when no trade is live.
 */
export async function nextDue(
  tx: Reader,
  timeouts: { pendingTimeoutMs: number; closeTimeoutMs: number; settlementOverdueMs: number },
): Promise<number | null> {
  const { rows } = await tx.query<{ next_ms: number | null; expired_ms: number | null }>(
    `SELECT extract(epoch FROM least(
              (SELECT min(market_close_at) FROM trade WHERE status = 'open'),
              (SELECT min(created_at) FROM trade WHERE status = 'pending') + make_interval(secs => $1::float8 / 1000),
              (SELECT min(GREATEST(closing_at, close_checked_at)) FROM trade WHERE status = 'closing')
                + make_interval(secs => $2::float8 / 1000),
              (SELECT min(GREATEST(closed_at, entry_checked_at)) FROM trade WHERE status = 'cancelled' AND entry_unconfirmed)
                + make_interval(secs => $2::float8 / 1000)))::float8 * 1000 AS next_ms,
            extract(epoch FROM (SELECT min(expired_at) FROM trade WHERE status = 'expired' AND NOT settlement_overdue))::float8
              * 1000 AS expired_ms`,
    [timeouts.pendingTimeoutMs, timeouts.closeTimeoutMs],
  );
  const { next_ms: next, expired_ms: expired } = rows[0]!;
  const overdue = expired === null ? null : Math.ceil((expired + timeouts.settlementOverdueMs) / 60_000) * 60_000;
  const times = [next, overdue].filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.min(...times);
}
