import { INITIAL_SPIKE_GUARD, tradeKey, type Side, type SpikeGuardState } from '@recio/domain';
import type { PlatformTransaction, Reader } from '@recio/service-kit';

/** One user's auto-entry state: the spike guard and the last auto entry per market ticker. */
export interface EntryState {
  guard: SpikeGuardState;
  lastEntries: Record<string, number>;
}

/** Users' entry states and the `${ticker}:${side}` keys of their live trades (pending, open, closing). */
export interface EntryView {
  states: Map<string, EntryState>;
  live: Map<string, Set<string>>;
}

/**
 * Users' states (users without a row start fresh) and live trades, in one statement; the states
 * locked for the transaction unless `lock` is false (the in-memory copy's load: a first look,
 * decided again under lock). A user without a row has one made, fresh, and read again locked:
 * a lock on no row holds nothing, and two replicas deciding a new user's first ticks at once could
 * each enter the same market (one more statement and a read, once per user).
 */
export async function loadEntryView(tx: Reader, users: readonly string[], lock = true): Promise<EntryView> {
  const view = await readEntryView(tx, users, lock);
  const missing = lock ? users.filter((u) => !view.known.has(u)) : [];
  if (missing.length > 0) {
    await tx.query(
      `INSERT INTO auto_entry_state (user_id, guard, last_entries, updated_at)
       SELECT u, $2::jsonb, '{}'::jsonb, now() FROM unnest($1::text[]) AS u ORDER BY u ON CONFLICT (user_id) DO NOTHING`,
      [missing, JSON.stringify(INITIAL_SPIKE_GUARD)],
    );
    // Another replica's row may have been written meanwhile (the insert waited for it): read under lock.
    const again = await readEntryView(tx, missing, true);
    for (const u of missing) {
      view.states.set(u, again.states.get(u)!);
      view.live.set(u, again.live.get(u)!);
    }
  }
  return { states: view.states, live: view.live };
}

async function readEntryView(
  tx: Reader,
  users: readonly string[],
  lock: boolean,
): Promise<EntryView & { known: Set<string> }> {
  const states = new Map<string, EntryState>(
    users.map((u) => [u, { guard: { ...INITIAL_SPIKE_GUARD }, lastEntries: {} }]),
  );
  const live = new Map<string, Set<string>>(users.map((u) => [u, new Set()]));
  const known = new Set<string>();
  if (users.length === 0) return { states, live, known };
  const { rows } = await tx.query<{
    user_id: string;
    guard: SpikeGuardState | null;
    last_entries: Record<string, number> | null;
    market_ticker: string | null;
    side: Side | null;
  }>(
    `WITH s AS (
       SELECT user_id, guard, last_entries FROM auto_entry_state WHERE user_id = ANY($1) ORDER BY user_id${lock ? ' FOR UPDATE' : ''}
     )
     SELECT user_id, guard, last_entries, NULL AS market_ticker, NULL AS side FROM s
     UNION ALL
     SELECT user_id, NULL, NULL, market_ticker, side FROM auto_entry_live_trade WHERE user_id = ANY($1)`,
    [users],
  );
  for (const r of rows) {
    if (r.market_ticker !== null && r.side !== null) live.get(r.user_id)?.add(tradeKey(r.market_ticker, r.side));
    else if (r.guard !== null && r.last_entries !== null) {
      states.set(r.user_id, { guard: r.guard, lastEntries: r.last_entries });
      known.add(r.user_id);
    }
  }
  return { states, live, known };
}

/** A live trade as `auto_entry_live_trade` holds it. */
export interface LiveTrade {
  tradeId: string;
  userId: string;
  marketTicker: string;
  side: Side;
}

/**
 * Stores the states that changed and records the live trades of the entries made with them, in
 * one statement (nothing to store: no statement).
 */
export async function saveEntries(
  tx: PlatformTransaction,
  states: ReadonlyMap<string, EntryState>,
  entered: readonly LiveTrade[],
): Promise<void> {
  if (states.size === 0 && entered.length === 0) return;
  const users = [...states.keys()];
  await tx.query(
    `WITH l AS (
       INSERT INTO auto_entry_live_trade (trade_id, user_id, market_ticker, side)
       SELECT * FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[])
       ON CONFLICT (trade_id) DO NOTHING
     )
     INSERT INTO auto_entry_state (user_id, guard, last_entries, updated_at)
     SELECT u, g, l, now() FROM unnest($1::text[], $2::jsonb[], $3::jsonb[]) AS s(u, g, l)
     ON CONFLICT (user_id) DO UPDATE SET guard = EXCLUDED.guard, last_entries = EXCLUDED.last_entries, updated_at = now()`,
    [
      users,
      users.map((u) => JSON.stringify(states.get(u)!.guard)),
      users.map((u) => JSON.stringify(states.get(u)!.lastEntries)),
      entered.map((t) => t.tradeId),
      entered.map((t) => t.userId),
      entered.map((t) => t.marketTicker),
      entered.map((t) => t.side),
    ],
  );
}

/** Records a live trade (its request or its creation; idempotent). */
export async function addLiveTrade(tx: PlatformTransaction, t: LiveTrade): Promise<void> {
  await tx.query(
    'INSERT INTO auto_entry_live_trade (trade_id, user_id, market_ticker, side) VALUES ($1, $2, $3, $4) ON CONFLICT (trade_id) DO NOTHING',
    [t.tradeId, t.userId, t.marketTicker, t.side],
  );
}

/** Forgets a trade that ended or expired. */
export async function removeLiveTrade(tx: PlatformTransaction, tradeId: string): Promise<void> {
  await tx.query('DELETE FROM auto_entry_live_trade WHERE trade_id = $1', [tradeId]);
}
