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
    const client = this.#clients.get(userId);
    if (!client) throw new MissingCredentialsError(`no exchange credentials for ${userId}`);
    let placed: Order;
    try {
      placed = await client.createOrder(order, { signal });
    } catch (err) {
      if (err instanceof ExchangeRejectedError && err.status !== 429)
        return { filled: false, code: err.exchangeCode, message: err.message };
      throw err;
    }
    if (placed.fill_count < order.count) {
      return {
        filled: false,
        code: 'not_filled',
        message: `order ${placed.order_id} ${placed.status} with ${placed.fill_count}/${order.count} filled`,
      };
    }
    const cost = placed.taker_fill_cost ?? order.limitCents * placed.fill_count;
    return {
      filled: true,
      orderId: placed.order_id,
      priceCents: Math.round(cost / placed.fill_count),
      feesCents: placed.taker_fees ?? 0,
      filledAt: Date.parse(placed.last_update_time ?? placed.created_time),
    };
  }

  async quote(ticker: string, eventTicker: string, signal: AbortSignal): Promise<MarketQuote | undefined> {
    return (await this.#quotes.quotes(eventTicker, signal)).find((q) => q.ticker === ticker);
  }
}
