import { INITIAL_SPIKE_GUARD, tradeKey, type Side, type SpikeGuardState } from '@recio/domain';
import type { Transaction } from '@recio/router';

/** One user's auto-entry state: the spike guard and the last auto entry per market ticker. */
export interface EntryState {
  guard: SpikeGuardState;
  lastEntries: Record<string, number>;
}

/** Every user's state, locked for the tick's transaction (users without a row start fresh). */
export async function loadEntryStates(tx: Transaction, users: readonly string[]): Promise<Map<string, EntryState>> {
  const { rows } = await tx.query<{ user_id: string; guard: SpikeGuardState; last_entries: Record<string, number> }>(
    'SELECT user_id, guard, last_entries FROM auto_entry_state WHERE user_id = ANY($1) ORDER BY user_id FOR UPDATE',
    [users],
  );
  const out = new Map<string, EntryState>(users.map((u) => [u, { guard: { ...INITIAL_SPIKE_GUARD }, lastEntries: {} }]));
  for (const r of rows) out.set(r.user_id, { guard: r.guard, lastEntries: r.last_entries });
  return out;
}

/** Stores one user's state. */
export async function saveEntryState(tx: Transaction, userId: string, state: EntryState): Promise<void> {
  await tx.query(
    `INSERT INTO auto_entry_state (user_id, guard, last_entries, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (user_id) DO UPDATE SET guard = EXCLUDED.guard, last_entries = EXCLUDED.last_entries, updated_at = now()`,
    [userId, JSON.stringify(state.guard), JSON.stringify(state.lastEntries)],
  );
}

/** The `${ticker}:${side}` keys of a user's live trades (pending, open, closing). */
export async function liveTradeKeys(tx: Transaction, userId: string): Promise<Set<string>> {
  const { rows } = await tx.query<{ market_ticker: string; side: Side }>('SELECT market_ticker, side FROM auto_entry_live_trade WHERE user_id = $1', [userId]);
  return new Set(rows.map((r) => tradeKey(r.market_ticker, r.side)));
}

/** Records a live trade (its request or its creation; idempotent). */
export async function addLiveTrade(tx: Transaction, t: { tradeId: string; userId: string; marketTicker: string; side: Side }): Promise<void> {
  await tx.query(
    'INSERT INTO auto_entry_live_trade (trade_id, user_id, market_ticker, side) VALUES ($1, $2, $3, $4) ON CONFLICT (trade_id) DO NOTHING',
    [t.tradeId, t.userId, t.marketTicker, t.side],
  );
}

/** Forgets a trade that ended or expired. */
export async function removeLiveTrade(tx: Transaction, tradeId: string): Promise<void> {
  await tx.query('DELETE FROM auto_entry_live_trade WHERE trade_id = $1', [tradeId]);
}
