import { ExchangeClient, ExchangeRejectedError, type Order } from '@recio/exchange-client';
import { ExchangeQuotes, type ExchangeCredential } from '@recio/service-kit';
import type { MarketQuote } from '@recio/domain';

/** The outcome of one order: filled whole (fill-or-kill), or refused with the exchange's code. */
export type OrderOutcome =
  | { filled: true; orderId: string; priceCents: number; feesCents: number; filledAt: number }
  | { filled: false; code: string; message: string };

/** What the executor needs of the exchange, per user (tests may pass another). */
export interface Exchange {
  /** Places a buy (marketable limit, fill-or-kill); the same clientOrderId never makes two orders. */
  buy(
    userId: string,
    order: { ticker: string; side: 'yes' | 'no'; count: number; limitCents: number; clientOrderId: string },
    signal: AbortSignal,
  ): Promise<OrderOutcome>;
  /**
   * What became of the order with this clientOrderId, asked after the fact (a reply that was lost,
   * a handler that gave up): its outcome, or null when the exchange has no such order.
   */
  find(
    userId: string,
    order: { ticker: string; count: number; clientOrderId: string },
    signal: AbortSignal,
  ): Promise<OrderOutcome | null>;
  /** The current quote of a market (for a close: buy the opposite side at its ask). */
  quote(ticker: string, eventTicker: string, signal: AbortSignal): Promise<MarketQuote | undefined>;
}

/** Thrown for a user without exchange credentials: a configuration problem, retried then dead-lettered. */
export class MissingCredentialsError extends Error {
  readonly code = 'MISSING_CREDENTIALS';
}

/**
 * The exchange through @recio/exchange-client, one signed client per user. Refusals (4xx with a
 * code) are outcomes; transient failures (timeouts, 5xx, 429 after the client's retries) and an
 * outcome the exchange does not know (ORDER_OUTCOME_UNKNOWN: a duplicate whose original it does not
 * list) throw, so the handler runs again later with the same client_order_id: never a second order,
 * never a refusal that was not one.
 */
export class ClientExchange implements Exchange {
  readonly #clients = new Map<string, ExchangeClient>();
  readonly #quotes: ExchangeQuotes;

  constructor(baseUrl: string, credentials: ReadonlyMap<string, ExchangeCredential>, timeoutMs: number) {
    for (const [userId, c] of credentials) {
      this.#clients.set(
        userId,
        new ExchangeClient({ baseUrl, keyId: c.keyId, privateKeyPem: c.privateKeyPem, timeoutMs }),
      );
    }
    this.#quotes = new ExchangeQuotes(new ExchangeClient({ baseUrl, timeoutMs }));
  }

  async buy(userId: string, order: Parameters<Exchange['buy']>[1], signal: AbortSignal): Promise<OrderOutcome> {
    let placed: Order;
    try {
      placed = await this.#client(userId).createOrder(order, { signal });
    } catch (err) {
      if (err instanceof ExchangeRejectedError && err.status !== 429)
        return { filled: false, code: err.exchangeCode, message: err.message };
      throw err;
    }
    return outcomeOf(placed, order);
  }

  async find(
    userId: string,
    order: Parameters<Exchange['find']>[1],
    signal: AbortSignal,
  ): Promise<OrderOutcome | null> {
    const found = await this.#client(userId).findOrderByClientOrderId(order.ticker, order.clientOrderId, { signal });
    return found ? outcomeOf(found, order) : null;
  }

  #client(userId: string): ExchangeClient {
    const client = this.#clients.get(userId);
    if (!client) throw new MissingCredentialsError(`no exchange credentials for ${userId}`);
    return client;
  }

  async quote(ticker: string, eventTicker: string, signal: AbortSignal): Promise<MarketQuote | undefined> {
    return (await this.#quotes.quotes(eventTicker, signal)).find((q) => q.ticker === ticker);
  }
}

/** An exchange order as an outcome: filled whole (fill-or-kill), or not filled. */
function outcomeOf(placed: Order, order: { count: number }): OrderOutcome {
  if (placed.fill_count < order.count) {
    return {
      filled: false,
      code: 'not_filled',
      message: `order ${placed.order_id} ${placed.status} with ${placed.fill_count}/${order.count} filled`,
    };
  }
  const limitCents = placed.side === 'yes' ? placed.yes_price : placed.no_price;
  const cost = placed.taker_fill_cost ?? limitCents * placed.fill_count;
  return {
    filled: true,
    orderId: placed.order_id,
    priceCents: Math.round(cost / placed.fill_count),
    feesCents: placed.taker_fees ?? 0,
    filledAt: Date.parse(placed.last_update_time ?? placed.created_time),
  };
}
