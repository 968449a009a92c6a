import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import type { Fill, MarketPosition, Order, Settlement } from '@recio/exchange-client';
import { ApiError } from './api-error.js';
import type { MarketBook, SimEvent } from './market-book.js';
import { clientOrderIdOf, DEFAULT_ASK_SIZE, parseOrderRequest, takerFeeCents } from './order-rules.js';
import { applyBuy, applySettlement, emptyPosition, type PositionState } from './position-math.js';

/** An item with the sequence number that orders the account's lists. */
export interface Sequenced<T> {
  seq: number;
  item: T;
}

/** An order the exchange refused, kept for the ledger and the idempotency memory. */
export interface Rejection {
  seq: number;
  client_order_id: string | null;
  code: string;
  message: string;
  time: string;
}

/** The remembered answer to a client_order_id: replayed verbatim on a repeat. */
export interface OrderOutcome {
  status: number;
  body: unknown;
}

/** One account (one API key). */
export interface Account {
  keyId: string;
  publicKey: KeyObject;
  startingBalance: number;
  balance: number;
  orders: Sequenced<Order>[];
  fills: Sequenced<Fill>[];
  settlements: Sequenced<Settlement>[];
  rejections: Rejection[];
  positions: Map<string, PositionState>;
  outcomes: Map<string, OrderOutcome>;
}

/** What the ledger announces (the WebSocket pushes them). */
export type LedgerEvent =
  | { type: 'fill'; keyId: string; fill: Fill; clientOrderId: string }
  | { type: 'position'; keyId: string; position: PositionState };

/** Options of the ledger. */
export interface LedgerOptions {
  book: MarketBook;
  /** Contracts available at each best ask. @defaultValue 500 */
  askSize?: number;
  /** Called synchronously for every fill and position change, in order. */
  onEvent?: (event: LedgerEvent) => void;
}

/** Accounts, balances, orders, fills, positions and settlements. All money in integer cents. */
export class Ledger {
  private readonly book: MarketBook;
  private readonly askSize: number;
  private readonly onEvent: (event: LedgerEvent) => void;
  private readonly accounts = new Map<string, Account>();
  private seq = 0;

  constructor(options: LedgerOptions) {
    this.book = options.book;
    this.askSize = options.askSize ?? DEFAULT_ASK_SIZE;
    if (!(Number.isInteger(this.askSize) && this.askSize > 0))
      throw new RangeError('option askSize: must be a positive integer');
    this.onEvent = options.onEvent ?? (() => undefined);
  }

  /** Registers an API key with its public key and starting balance; a known key id is a 409. */
  addAccount(keyId: string, publicKeyPem: string, balanceCents: number): Account {
    if (this.accounts.has(keyId)) throw new ApiError(409, 'account_exists', `key id ${keyId} is already registered`);
    if (!Number.isInteger(balanceCents) || balanceCents < 0) {
      throw new ApiError(400, 'invalid_parameters', 'balance_cents: must be a non-negative integer');
    }
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(publicKeyPem);
    } catch (error) {
      throw new ApiError(400, 'invalid_parameters', `public_key_pem: not a public key (${(error as Error).message})`);
    }
    const account: Account = {
      keyId,
      publicKey,
      startingBalance: balanceCents,
      balance: balanceCents,
      orders: [],
      fills: [],
      settlements: [],
      rejections: [],
      positions: new Map(),
      outcomes: new Map(),
    };
    this.accounts.set(keyId, account);
    return account;
  }

  /** An account by key id. */
  account(keyId: string): Account | undefined {
    return this.accounts.get(keyId);
  }

  /** Every account. */
  allAccounts(): Account[] {
    return [...this.accounts.values()];
  }

  /**
   * Places an order for `keyId` at simulated second `sec`. The answer to a client_order_id is
   * remembered, rejections included, and a repeat gets the same answer: never a second order.
   */
  placeOrder(keyId: string, body: unknown, sec: number): OrderOutcome {
    const account = this.accounts.get(keyId);
    if (!account) throw new ApiError(401, 'unknown_key', 'unknown key id');
    const remembered = clientOrderIdOf(body);
    if (remembered !== undefined) {
      const previous = account.outcomes.get(remembered);
      if (previous) return previous;
    }
    let outcome: OrderOutcome;
    try {
      outcome = { status: 201, body: { order: this.execute(account, body, sec) } };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      account.rejections.push({
        seq: ++this.seq,
        client_order_id: remembered ?? null,
        code: error.code,
        message: error.message,
        time: new Date(sec * 1000).toISOString(),
      });
      outcome = { status: error.status, body: error.body() };
    }
    if (remembered !== undefined) account.outcomes.set(remembered, outcome);
    return outcome;
  }

  private execute(account: Account, body: unknown, sec: number): Order {
    const request = parseOrderRequest(body);
    const market = this.book.market(request.ticker);
    if (!market) throw new ApiError(400, 'market_not_found', `no market ${request.ticker}`);
    const event = this.book.event(market.eventTicker) as SimEvent;
    if (event.status === 'settled') throw new ApiError(400, 'market_settled', `market ${market.ticker} is settled`);
    if (sec >= event.closeSec) throw new ApiError(400, 'market_closed', `market ${market.ticker} is closed`);
    const quote = this.book.quote(market, sec);
    const ask = request.side === 'yes' ? quote.yes_ask : quote.no_ask;
    if (request.limitCents < ask) {
      throw new ApiError(
        400,
        'insufficient_resting_volume',
        `no ${request.side} offer at or below ${request.limitCents}¢ (ask ${ask}¢)`,
      );
    }
    if (request.count > this.askSize) {
      throw new ApiError(
        400,
        'insufficient_resting_volume',
        `only ${this.askSize} contracts offered at ${ask}¢, ${request.count} asked`,
      );
    }
    const cost = request.count * ask;
    if (request.buyMaxCost !== undefined && cost > request.buyMaxCost) {
      throw new ApiError(400, 'buy_max_cost_exceeded', `cost ${cost}¢ exceeds buy_max_cost ${request.buyMaxCost}¢`);
    }
    const fee = takerFeeCents(request.count, ask);
    if (cost + fee > account.balance) {
      throw new ApiError(
        400,
        'insufficient_balance',
        `cost ${cost}¢ + fee ${fee}¢ exceeds the balance ${account.balance}¢`,
      );
    }

    const nowMs = sec * 1000;
    const time = new Date(nowMs).toISOString();
    const clientOrderId = request.clientOrderId ?? randomUUID();
    const position = account.positions.get(market.ticker) ?? emptyPosition(market.ticker, market.eventTicker, nowMs);
    account.positions.set(market.ticker, position);
    account.balance -= cost + fee;
    const effect = applyBuy(position, request.side, request.count, ask, fee, nowMs);
    account.balance += effect.payoutCents;
    market.tradedVolume += request.count;

    const yesLimit = request.side === 'yes' ? request.limitCents : 100 - request.limitCents;
    const order: Order = {
      order_id: randomUUID(),
      user_id: account.keyId,
      client_order_id: clientOrderId,
      ticker: market.ticker,
      side: request.side,
      action: 'buy',
      type: request.type,
      time_in_force: request.timeInForce,
      status: 'executed',
      yes_price: yesLimit,
      no_price: 100 - yesLimit,
      count: request.count,
      initial_count: request.count,
      fill_count: request.count,
      remaining_count: 0,
      taker_fees: fee,
      maker_fees: 0,
      taker_fill_cost: cost,
      maker_fill_cost: 0,
      created_time: time,
      last_update_time: time,
    };
    const yesFill = request.side === 'yes' ? ask : 100 - ask;
    const tradeId = randomUUID();
    const fill: Fill = {
      trade_id: tradeId,
      fill_id: tradeId,
      order_id: order.order_id,
      client_order_id: clientOrderId,
      ticker: market.ticker,
      market_ticker: market.ticker,
      side: request.side,
      action: 'buy',
      count: request.count,
      yes_price: yesFill,
      no_price: 100 - yesFill,
      is_taker: true,
      created_time: time,
      ts: sec,
      fee_cost: (fee / 100).toFixed(4),
    };
    account.orders.push({ seq: ++this.seq, item: order });
    account.fills.push({ seq: ++this.seq, item: fill });
    this.onEvent({ type: 'fill', keyId: account.keyId, fill, clientOrderId });
    this.onEvent({ type: 'position', keyId: account.keyId, position: { ...position } });
    return order;
  }

  /** Settles every account's position in a settled event's markets; revenue goes to the balance. */
  settleEvent(event: SimEvent, sec: number): void {
    const nowMs = sec * 1000;
    for (const account of this.accounts.values()) {
      for (const market of event.markets) {
        const position = account.positions.get(market.ticker);
        if (!position || position.position === 0 || market.result === null) continue;
        const effect = applySettlement(position, market.result, nowMs);
        account.balance += effect.revenueCents;
        const settlement: Settlement = {
          ticker: market.ticker,
          event_ticker: market.eventTicker,
          market_result: market.result,
          yes_count: effect.yesCount,
          yes_total_cost: effect.yesTotalCost,
          no_count: effect.noCount,
          no_total_cost: effect.noTotalCost,
          revenue: effect.revenueCents,
          settled_time: new Date(nowMs).toISOString(),
          fee_cost: '0.0000',
          value: market.result === 'yes' ? 100 : 0,
        };
        account.settlements.push({ seq: ++this.seq, item: settlement });
        this.onEvent({ type: 'position', keyId: account.keyId, position: { ...position } });
      }
    }
  }
}

/** A position as GET /portfolio/positions returns it. */
export function toWirePosition(p: PositionState): MarketPosition {
  return {
    ticker: p.ticker,
    position: p.position,
    market_exposure: p.cost,
    realized_pnl: p.realizedPnl,
    fees_paid: p.feesPaid,
    resting_orders_count: 0,
    total_traded: p.totalTraded,
    last_updated_ts: new Date(p.lastUpdatedMs).toISOString(),
  };
}
