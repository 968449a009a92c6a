import { INITIAL_SPIKE_GUARD, tradeKey, type Side, type SpikeGuardState } from '@recio/domain';
import type { PlatformTransaction, Reader } from '@recio/service-kit';

/** One user's auto-entry state: the spike guard and the last auto entry per market ticker. */
export interface EntryState {
  guard: SpikeGuardState;
  lastEntries: Record<string, number>;
}

/**
 * Users' states (users without a row start fresh), locked for the transaction unless `lock` is false
 * (the in-memory copy's load: a first look, decided again under lock).
 */
export async function loadEntryStates(
  tx: Reader,
  users: readonly string[],
  lock = true,
): Promise<Map<string, EntryState>> {
  if (users.length === 0) return new Map();
  const { rows } = await tx.query<{ user_id: string; guard: SpikeGuardState; last_entries: Record<string, number> }>(
    `SELECT user_id, guard, last_entries FROM auto_entry_state WHERE user_id = ANY($1) ORDER BY user_id${lock ? ' FOR UPDATE' : ''}`,
    [users],
  );
  const out = new Map<string, EntryState>(
    users.map((u) => [u, { guard: { ...INITIAL_SPIKE_GUARD }, lastEntries: {} }]),
  );
  for (const r of rows) out.set(r.user_id, { guard: r.guard, lastEntries: r.last_entries });
  return out;
}

/** Stores the states that changed, in one statement (none: no statement). */
export async function saveEntryStates(tx: PlatformTransaction, states: ReadonlyMap<string, EntryState>): Promise<void> {
  if (states.size === 0) return;
  const users = [...states.keys()];
  await tx.query(
    `INSERT INTO auto_entry_state (user_id, guard, last_entries, updated_at)
     SELECT u, g, l, now() FROM unnest($1::text[], $2::jsonb[], $3::jsonb[]) AS s(u, g, l)
     ON CONFLICT (user_id) DO UPDATE SET guard = EXCLUDED.guard, last_entries = EXCLUDED.last_entries, updated_at = now()`,
    [
      users,
      users.map((u) => JSON.stringify(states.get(u)!.guard)),
      users.map((u) => JSON.stringify(states.get(u)!.lastEntries)),
    ],
  );
}

/** The `${ticker}:${side}` keys of the live trades (pending, open, closing) of each of `users`. */
export async function liveTradeKeys(tx: Reader, users: readonly string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>(users.map((u) => [u, new Set()]));
  if (users.length === 0) return out;
  const { rows } = await tx.query<{ user_id: string; market_ticker: string; side: Side }>(
    'SELECT user_id, market_ticker, side FROM auto_entry_live_trade WHERE user_id = ANY($1)',
    [users],
  );
  for (const r of rows) out.get(r.user_id)?.add(tradeKey(r.market_ticker, r.side));
  return out;
}

/** Records a live trade (its request or its creation; idempotent). */
export async function addLiveTrade(
  tx: PlatformTransaction,
  t: { tradeId: string; userId: string; marketTicker: string; side: Side },
): Promise<void> {
  await tx.query(
    'INSERT INTO auto_entry_live_trade (trade_id, user_id, market_ticker, side) VALUES ($1, $2, $3, $4) ON CONFLICT (trade_id) DO NOTHING',
    [t.tradeId, t.userId, t.marketTicker, t.side],
  );
}

/** Forgets a trade that ended or expired. */
export async function removeLiveTrade(tx: PlatformTransaction, tradeId: string): Promise<void> {
  await tx.query('DELETE FROM auto_entry_live_trade WHERE trade_id = $1', [tradeId]);
}
