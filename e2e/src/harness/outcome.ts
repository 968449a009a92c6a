import { tradeSnapshotOfRow, type TradeRow } from '@recio/service-kit';
import type { TradeSnapshot } from '@recio/platform';
import type { PlatformRun } from './platform-run.js';

/** What the exchange keeps of one account (GET /sim/ledger). */
export interface Ledger {
  key_id: string;
  starting_balance: number;
  balance: number;
  orders: {
    order_id: string;
    client_order_id: string;
    ticker: string;
    side: string;
    status: string;
    fill_count: number;
    taker_fees?: number;
    taker_fill_cost?: number;
    created_time: string;
  }[];
  fills: {
    trade_id: string;
    fill_id?: string;
    order_id: string;
    ticker: string;
    side: string;
    count: number;
    yes_price: number;
    no_price: number;
    created_time: string;
  }[];
  settlements: { ticker: string; market_result: string; yes_count: number; no_count: number; revenue: number }[];
  positions: { ticker: string; position: number }[];
}

/** The end state of a run: what the platform holds and what the exchange holds. */
export interface Outcome {
  trades: TradeSnapshot[];
  ledgers: Map<string, Ledger>;
  /** Balance and positions as the platform mirrored them. */
  mirror: Map<string, { balanceCents: number | null; positions: { ticker: string; position: number }[] }>;
  /**
   * Events per type. Left out: system (feed and exchange health change with restarts), and the
   * mirror's balance.updated / position.updated, which are snapshots of an outside account: how
   * many intermediate states a sync happens to see depends on timing. Their end state is `mirror`.
   */
  eventsByType: Record<string, number>;
  deadLetters: number;
}

/** Reads the end state of `run`. */
export async function outcomeOf(run: PlatformRun): Promise<Outcome> {
  const { rows } = await run.db.query<TradeRow>('SELECT * FROM trade ORDER BY created_at, id');
  const ledgers = new Map<string, Ledger>();
  const mirror: Outcome['mirror'] = new Map();
  for (const { id } of run.options.users) {
    ledgers.set(id, withoutExchangeIds(await run.admin<Ledger>('GET', `/ledger?key_id=paper-${id}`)));
    const balance = await run.db.query<{ balance_cents: string }>(
      'SELECT balance_cents FROM account_balance WHERE user_id = $1',
      [id],
    );
    const positions = await run.db.query<{ ticker: string; position: number }>(
      'SELECT ticker, position FROM account_position WHERE user_id = $1 AND position <> 0 ORDER BY ticker',
      [id],
    );
    mirror.set(id, {
      balanceCents: balance.rows[0] ? Number(balance.rows[0].balance_cents) : null,
      positions: positions.rows,
    });
  }
  const { rows: types } = await run.db.query<{ type: string; n: number }>(
    `SELECT type, count(*)::int AS n FROM event_log
      WHERE channel NOT LIKE 'system:%' AND type NOT IN ('balance.updated', 'position.updated')
      GROUP BY 1 ORDER BY 1`,
  );
  const { rows: dead } = await run.db.query<{ n: number }>('SELECT count(*)::int AS n FROM dead_letter');
  return {
    trades: rows.map(tradeSnapshotOfRow),
    ledgers,
    mirror,
    eventsByType: Object.fromEntries(types.map((t) => [t.type, t.n])),
    deadLetters: dead[0]!.n,
  };
}

// The exchange names orders and fills with random ids; the platform's own key for an order is
// its client_order_id (deterministic), so runs are compared by that. Within one simulated
// second, a user's entry and close orders may reach the exchange in either order (two
// supervisors react to the same tick), so the lists are compared sorted.
function withoutExchangeIds(ledger: Ledger): Ledger {
  const clientIds = new Map(ledger.orders.map((o) => [o.order_id, o.client_order_id]));
  const byTimeAndOrder = <T extends { created_time: string; order_id: string }>(a: T, b: T) =>
    a.created_time.localeCompare(b.created_time) || a.order_id.localeCompare(b.order_id);
  return {
    ...ledger,
    orders: ledger.orders.map((o) => ({ ...o, order_id: o.client_order_id })).sort(byTimeAndOrder),
    fills: ledger.fills
      .map(({ fill_id: _, ...f }) => ({ ...f, trade_id: '', order_id: clientIds.get(f.order_id) ?? '?' }))
      .sort(byTimeAndOrder),
  };
}
