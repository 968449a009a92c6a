import { channelOf } from '@recio/contract';
import type { TradeSnapshot } from '@recio/platform';
import type { OrderFilled, OrderRejected } from '@recio/platform';
import { tradeSnapshotOfRow, type PlatformTransaction, type TradeRow } from '@recio/service-kit';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { v5 as uuidv5 } from 'uuid';
import type { Exchange, OrderOutcome } from './order-placer.js';

// Namespace of closing orders' client_order_ids: uuid v5 of (trade id, close attempt), so the
// n-th attempt to close a trade is one order however often its handler runs.
const CLOSE_ORDER_NAMESPACE = 'b3a4f0d2-9e57-5c1a-8f0e-3d2b6c7a1e94';

/** What looking an order up after the fact can find (recio_order_confirmations_total's `found`). */
const CONFIRMATION_FOUND = ['filled', 'not_filled', 'none'] as const;

/** The client_order_id of a trade's n-th close. */
export function closeOrderId(tradeId: string, attempt: number): string {
  return uuidv5(`${tradeId}:close:${attempt}`, CLOSE_ORDER_NAMESPACE);
}

/**
 * Turns trade intents into exchange orders exactly once: the entry's client_order_id is the
 * trade's id, a close's is derived from the trade and the attempt, and the exchange never makes
 * two orders of one id. The outcome is published on the trade's channel in the handler's
 * transaction; if the process dies first, the handler runs again and gets the same order back.
 */
export class Executor {
  readonly #exchange: Exchange;
  readonly #logger: Logger;
  readonly #orders: Counter<'leg' | 'outcome'>;
  readonly #confirmations: Counter<'leg' | 'found'>;

  constructor(exchange: Exchange, logger: Logger, registry: Registry) {
    this.#exchange = exchange;
    this.#logger = logger;
    this.#orders = new Counter({
      name: 'recio_orders_total',
      help: 'Orders placed, by leg and outcome',
      labelNames: ['leg', 'outcome'],
      registers: [registry],
    });
    this.#confirmations = new Counter({
      name: 'recio_order_confirmations_total',
      help: 'Orders looked up at the exchange after the fact (a cancelled entry, an unconfirmed close), by what was found',
      labelNames: ['leg', 'found'],
      registers: [registry],
    });
    // Every combination starts at 0 (a dashboard shows "none", not nothing).
    for (const leg of ['open', 'close'] as const) {
      for (const outcome of ['filled', 'rejected']) this.#orders.inc({ leg, outcome }, 0);
      for (const found of CONFIRMATION_FOUND) this.#confirmations.inc({ leg, found }, 0);
    }
  }

  /** `trade.created`: buy the trade's side at its limit, as the trade's row has them. */
  async enter(tx: PlatformTransaction, intent: TradeSnapshot, signal: AbortSignal): Promise<void> {
    const trade = await this.#current(tx, intent.id, 'pending', 0);
    if (!trade) return;
    const order = {
      ticker: trade.marketTicker,
      side: trade.side,
      count: trade.count,
      limitCents: trade.limitPriceCents,
      clientOrderId: trade.id,
    };
    const outcome = await this.#buy(trade.userId, order, signal);
    this.#report(tx, trade, 'open', 0, trade.id, outcome);
  }

  /**
   * Places `order`. A refusal is checked with the exchange before it is believed: an earlier try
   * of the same client_order_id (the client's retry after a lost reply, or this handler's run
   * before a crash) may have filled, and a retry that came after, say, the market closed is refused
   * on its own. Reported as refused, that fill would be a position no trade follows.
   */
  async #buy(userId: string, order: Parameters<Exchange['buy']>[1], signal: AbortSignal): Promise<OrderOutcome> {
    return this.#unlessFilled(userId, order, await this.#exchange.buy(userId, order, signal), signal);
  }

  /** `outcome`, a refusal, unless the exchange has the order filled after all. */
  async #unlessFilled(
    userId: string,
    order: Parameters<Exchange['find']>[1],
    outcome: OrderOutcome,
    signal: AbortSignal,
  ): Promise<OrderOutcome> {
    if (outcome.filled) return outcome;
    const found = await this.#exchange.find(userId, order, signal);
    if (found?.filled) {
      this.#logger.warn(
        { clientOrderId: order.clientOrderId, refusal: outcome.code },
        'order refused on a retry, but an earlier try of it filled: reported filled',
      );
      return found;
    }
    return outcome;
  }

  /** `trade.closing`: buy the opposite side, same count, at its current ask, as the trade's row has them. */
  async close(tx: PlatformTransaction, intent: TradeSnapshot, signal: AbortSignal): Promise<void> {
    const attempt = intent.closeAttempts;
    const trade = await this.#current(tx, intent.id, 'closing', attempt);
    if (!trade) return;
    const clientOrderId = closeOrderId(trade.id, attempt);
    const opposite = trade.side === 'yes' ? 'no' : 'yes';
    const quote = await this.#exchange.quote(trade.marketTicker, trade.eventTicker, signal);
    const ask = quote ? (opposite === 'yes' ? quote.yesAsk : quote.noAsk) : null;
    // No ask, no order; but this handler's run before a crash may have placed one that filled.
    const outcome: OrderOutcome =
      ask === null
        ? await this.#unlessFilled(
            trade.userId,
            { ticker: trade.marketTicker, count: trade.count, clientOrderId },
            { filled: false, code: 'no_ask', message: `nobody offers ${opposite} on ${trade.marketTicker}` },
            signal,
          )
        : await this.#buy(
            trade.userId,
            { ticker: trade.marketTicker, side: opposite, count: trade.count, limitCents: ask, clientOrderId },
            signal,
          );
    this.#report(tx, trade, 'close', attempt, clientOrderId, outcome);
  }

  /**
   * `trade.cancelled` and `trade.entry_unconfirmed`: an entry cancelled for no outcome in time
   * (`entry_unconfirmed`) may have filled after its reply was lost. Ask the exchange: a fill is
   * reported (the trade manager opens the trade late); not filled, or never received
   * (`order_not_found`), is reported as a rejection, which tells the trade manager to ask no more.
   * An exchange that does not answer throws: the trade manager asks again each close timeout. Never
   * places an order.
   */
  async confirmCancelledEntry(tx: PlatformTransaction, intent: TradeSnapshot, signal: AbortSignal): Promise<void> {
    const trade = await this.#current(tx, intent.id, 'cancelled', 0);
    // Only an entry whose outcome is unknown: one the exchange refused was looked up when it was
    // refused (#unlessFilled), and one confirmed already needs no second answer.
    if (!trade?.entryUnconfirmed) return;
    const found = await this.#exchange.find(
      trade.userId,
      { ticker: trade.marketTicker, count: trade.count, clientOrderId: trade.id },
      signal,
    );
    this.#countConfirmation('open', found);
    const outcome: OrderOutcome = found ?? {
      filled: false,
      code: 'order_not_found',
      message: `the exchange has no order ${trade.id} (entry of trade ${trade.id})`,
    };
    // A fill is an order's outcome (counted); "not filled" only answers the question (counted in confirmations).
    this.#report(tx, trade, 'open', 0, trade.id, outcome, outcome.filled);
  }

  /**
   * `trade.close_unconfirmed`: the close attempt has had no outcome for the trade manager's close
   * timeout (its handler retried, dead-lettered, or its reply was lost). Ask the exchange for that
   * attempt's order: filled → `order.filled`; not filled, or never received → `order.rejected`, and
   * the trade is open again. An exchange that does not answer throws: asked again, never guessed.
   */
  async confirmClose(tx: PlatformTransaction, intent: TradeSnapshot, signal: AbortSignal): Promise<void> {
    const attempt = intent.closeAttempts;
    const trade = await this.#current(tx, intent.id, 'closing', attempt);
    if (!trade) return;
    const clientOrderId = closeOrderId(trade.id, attempt);
    const found = await this.#exchange.find(
      trade.userId,
      { ticker: trade.marketTicker, count: trade.count, clientOrderId },
      signal,
    );
    this.#countConfirmation('close', found);
    const outcome: OrderOutcome = found ?? {
      filled: false,
      code: 'order_not_found',
      message: `the exchange has no order ${clientOrderId} (close ${attempt} of trade ${trade.id})`,
    };
    this.#report(tx, trade, 'close', attempt, clientOrderId, outcome);
  }

  // Money moves only on what PostgreSQL committed (invariant 13): the order is built from the trade
  // manager's row, the event only says which trade and which step. The trade manager may have moved
  // on (an entry that timed out, a newer close attempt): then the intent is obsolete. One
  // primary-key read of the row.
  async #current(
    tx: PlatformTransaction,
    tradeId: string,
    status: 'pending' | 'closing' | 'cancelled',
    attempt: number,
  ): Promise<(TradeSnapshot & { entryUnconfirmed: boolean }) | null> {
    const { rows } = await tx.query<TradeRow>('SELECT * FROM trade WHERE id = $1', [tradeId]);
    const row = rows[0];
    const trade = row ? { ...tradeSnapshotOfRow(row), entryUnconfirmed: row.entry_unconfirmed } : null;
    if (trade && trade.status === status && (status !== 'closing' || trade.closeAttempts === attempt)) return trade;
    this.#logger.info({ tradeId, expected: status, found: trade?.status ?? null }, 'intent obsolete; no order placed');
    return null;
  }

  #countConfirmation(leg: 'open' | 'close', found: OrderOutcome | null): void {
    const label: (typeof CONFIRMATION_FOUND)[number] = found === null ? 'none' : found.filled ? 'filled' : 'not_filled';
    this.#confirmations.inc({ leg, found: label });
  }

  #report(
    tx: PlatformTransaction,
    trade: TradeSnapshot,
    leg: 'open' | 'close',
    attempt: number,
    clientOrderId: string,
    outcome: OrderOutcome,
    countAsOrder = true,
  ): void {
    const channel = channelOf('trades', trade.userId);
    if (countAsOrder) this.#orders.inc({ leg, outcome: outcome.filled ? 'filled' : 'rejected' });
    if (outcome.filled) {
      const side = leg === 'open' ? trade.side : trade.side === 'yes' ? 'no' : 'yes';
      const report: OrderFilled = {
        tradeId: trade.id,
        userId: trade.userId,
        leg,
        attempt,
        orderId: outcome.orderId,
        clientOrderId,
        ticker: trade.marketTicker,
        side,
        count: trade.count,
        priceCents: outcome.priceCents,
        feesCents: outcome.feesCents,
        filledAt: outcome.filledAt,
      };
      tx.publish(channel, 'order.filled', report);
      this.#logger.info(
        { tradeId: trade.id, leg, priceCents: outcome.priceCents, feesCents: outcome.feesCents },
        'order filled',
      );
    } else {
      const report: OrderRejected = {
        tradeId: trade.id,
        userId: trade.userId,
        leg,
        attempt,
        clientOrderId,
        code: outcome.code,
        message: outcome.message,
        rejectedAt: trade.closingAt ?? trade.createdAt,
      };
      tx.publish(channel, 'order.rejected', report);
      this.#logger.info({ tradeId: trade.id, leg, code: outcome.code }, 'order rejected');
    }
  }
}
