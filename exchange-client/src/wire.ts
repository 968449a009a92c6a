import { z } from 'zod';

// The trade API v2 objects this platform reads, in the exchange's own snake_case. Prices and
// money are integer cents (the legacy integer fields; the API also sends `*_dollars` strings,
// which are ignored here). Unknown fields are stripped, so new exchange fields never break
// parsing; a missing required field is an ExchangeResponseError.

const cents = z.number().int();
const count = z.number().int().nonnegative();
const side = z.enum(['yes', 'no']);
const action = z.enum(['buy', 'sell']);

/** GET /exchange/status. */
export const ExchangeStatusSchema = z.object({
  exchange_active: z.boolean(),
  trading_active: z.boolean(),
  exchange_estimated_resume_time: z.string().nullish(),
});
/** Whether the exchange and trading are up. */
export type ExchangeStatus = z.infer<typeof ExchangeStatusSchema>;

/** One market (one strike of an event). Quotes in cents 1..99 (0 or 100 when the book side is empty). */
export const MarketSchema = z.object({
  ticker: z.string(),
  event_ticker: z.string(),
  market_type: z.string().optional(),
  title: z.string().optional(),
  subtitle: z.string().optional(),
  yes_sub_title: z.string().optional(),
  /** `initialized` | `active` | `closed` | `settled` (| `determined`, `paused` on the real exchange). */
  status: z.string(),
  open_time: z.string().optional(),
  close_time: z.string(),
  expiration_time: z.string().optional(),
  yes_bid: cents,
  yes_ask: cents,
  no_bid: cents,
  no_ask: cents,
  last_price: cents.optional(),
  volume: count,
  volume_24h: count.optional(),
  open_interest: count.optional(),
  /** `yes` | `no` once determined, else empty. */
  result: z.string().default(''),
  /** `greater` for "at or above" strikes: YES when the index is above floor_strike. */
  strike_type: z.string().optional(),
  floor_strike: z.number().nullish(),
  cap_strike: z.number().nullish(),
});
/** One market of an event, as the exchange sends it. */
export type Market = z.infer<typeof MarketSchema>;

/** One event (one hour of the BTC series); its markets come alongside or nested. */
export const EventSchema = z.object({
  event_ticker: z.string(),
  series_ticker: z.string(),
  title: z.string().optional(),
  sub_title: z.string().optional(),
  category: z.string().optional(),
  mutually_exclusive: z.boolean().optional(),
  strike_date: z.string().nullish(),
  markets: z.array(MarketSchema).optional(),
});
/** An event (its markets, when nested, in `markets`). */
export type ExchangeEvent = z.infer<typeof EventSchema>;

/** GET /events/{event_ticker}: the markets are top level unless `with_nested_markets=true`. */
export const GetEventResponseSchema = z.object({
  event: EventSchema,
  markets: z.array(MarketSchema).optional(),
});

/** GET /markets. */
export const GetMarketsResponseSchema = z.object({
  markets: z.array(MarketSchema),
  cursor: z.string().nullish(),
});

/** One order. `yes_price`/`no_price` are the limit (they sum to 100). */
export const OrderSchema = z.object({
  order_id: z.string(),
  user_id: z.string().optional(),
  client_order_id: z.string(),
  ticker: z.string(),
  side,
  action,
  /** `limit` | `market`. */
  type: z.string(),
  time_in_force: z.string().nullish(),
  /** `resting` | `canceled` | `executed` | `pending`. */
  status: z.string(),
  yes_price: cents,
  no_price: cents,
  count: count.optional(),
  initial_count: count.optional(),
  fill_count: count,
  remaining_count: count.optional(),
  taker_fees: cents.optional(),
  maker_fees: cents.optional(),
  taker_fill_cost: cents.optional(),
  maker_fill_cost: cents.optional(),
  created_time: z.string(),
  last_update_time: z.string().nullish(),
});
/** An order as the exchange reports it. */
export type Order = z.infer<typeof OrderSchema>;

/** POST /portfolio/orders reply. */
export const CreateOrderResponseSchema = z.object({ order: OrderSchema });

/** GET /portfolio/orders. */
export const GetOrdersResponseSchema = z.object({
  orders: z.array(OrderSchema),
  cursor: z.string().nullish(),
});

/** One fill (one match of an order). Prices are the execution prices, yes + no = 100. */
export const FillSchema = z.object({
  trade_id: z.string(),
  fill_id: z.string().optional(),
  order_id: z.string(),
  client_order_id: z.string().optional(),
  ticker: z.string(),
  market_ticker: z.string().optional(),
  side,
  action,
  count,
  yes_price: cents,
  no_price: cents,
  is_taker: z.boolean(),
  created_time: z.string(),
  ts: z.number().int().optional(),
  /** Fee of this fill in dollars ("0.0200"), where the exchange reports it. */
  fee_cost: z.string().optional(),
});
/** A fill as the exchange reports it. */
export type Fill = z.infer<typeof FillSchema>;

/** GET /portfolio/fills. */
export const GetFillsResponseSchema = z.object({
  fills: z.array(FillSchema),
  cursor: z.string().nullish(),
});

/** One market position: `position` > 0 holds YES contracts, < 0 holds NO contracts. */
export const MarketPositionSchema = z.object({
  ticker: z.string(),
  position: z.number().int(),
  /** Cost in cents of the contracts held now. */
  market_exposure: cents,
  realized_pnl: cents,
  fees_paid: cents,
  resting_orders_count: count.optional(),
  total_traded: cents.optional(),
  last_updated_ts: z.string().nullish(),
});
/** A position in one market. */
export type MarketPosition = z.infer<typeof MarketPositionSchema>;

/** Aggregate of an event's market positions. */
export const EventPositionSchema = z.object({
  event_ticker: z.string(),
  event_exposure: cents,
  realized_pnl: cents,
  fees_paid: cents,
  total_cost: cents.optional(),
});
/** A position aggregated over an event. */
export type EventPosition = z.infer<typeof EventPositionSchema>;

/** GET /portfolio/positions. */
export const GetPositionsResponseSchema = z.object({
  market_positions: z.array(MarketPositionSchema),
  event_positions: z.array(EventPositionSchema).optional(),
  cursor: z.string().nullish(),
});

/** GET /portfolio/balance: available cash in cents. */
export const BalanceSchema = z.object({
  balance: cents,
  portfolio_value: cents.optional(),
  updated_ts: z.number().int().optional(),
});
/** The account's cash balance. */
export type Balance = z.infer<typeof BalanceSchema>;

/** One settled market of the account. `revenue` = 100 × winning contracts, in cents. */
export const SettlementSchema = z.object({
  ticker: z.string(),
  event_ticker: z.string().optional(),
  market_result: z.string(),
  yes_count: count,
  yes_total_cost: cents.optional(),
  no_count: count,
  no_total_cost: cents.optional(),
  revenue: cents,
  settled_time: z.string(),
  /** Settlement fees in dollars ("0.0000"). */
  fee_cost: z.string().optional(),
  value: cents.nullish(),
});
/** A settlement as the exchange reports it. */
export type Settlement = z.infer<typeof SettlementSchema>;

/** GET /portfolio/settlements. */
export const GetSettlementsResponseSchema = z.object({
  settlements: z.array(SettlementSchema),
  cursor: z.string().nullish(),
});

/** Every non-2xx body: `{ error: { code, message } }`. */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string().default(''),
    details: z.string().optional(),
    service: z.string().optional(),
  }),
});
/** The exchange's error body. */
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** POST /portfolio/orders body, the subset this platform sends. */
export interface CreateOrderRequest {
  ticker: string;
  client_order_id: string;
  action: 'buy' | 'sell';
  side: 'yes' | 'no';
  count: number;
  type: 'limit';
  yes_price?: number;
  no_price?: number;
  time_in_force: 'fill_or_kill' | 'immediate_or_cancel' | 'good_till_canceled';
  buy_max_cost?: number;
}

// ---- WebSocket (/trade-api/ws/v2) ------------------------------------------------------------

/** `market_position`: the account's position in one market changed (fill or settlement). Money in centi-cents. */
export const WsMarketPositionSchema = z.object({
  type: z.literal('market_position'),
  sid: z.number().int(),
  msg: z.object({
    user_id: z.string().optional(),
    market_ticker: z.string(),
    position: z.number().int(),
    /** Cost of the position held, in centi-cents (1/10,000 dollar). */
    position_cost: z.number().int(),
    realized_pnl: z.number().int(),
    fees_paid: z.number().int(),
    volume: z.number().int().optional(),
  }),
});
/** A position change pushed by the exchange. */
export type WsMarketPosition = z.infer<typeof WsMarketPositionSchema>;

/** `ticker`: a market's quote changed. Cents; `ts` in unix seconds. */
export const WsTickerSchema = z.object({
  type: z.literal('ticker'),
  sid: z.number().int(),
  msg: z.object({
    market_ticker: z.string(),
    price: cents.optional(),
    yes_bid: cents,
    yes_ask: cents,
    volume: count.optional(),
    open_interest: count.optional(),
    dollar_volume: z.number().optional(),
    dollar_open_interest: z.number().optional(),
    ts: z.number().int(),
  }),
});
/** A quote update pushed by the exchange. */
export type WsTicker = z.infer<typeof WsTickerSchema>;

/** `fill`: one of the account's orders matched. */
export const WsFillSchema = z.object({
  type: z.literal('fill'),
  sid: z.number().int(),
  msg: z.object({
    trade_id: z.string(),
    order_id: z.string(),
    client_order_id: z.string().optional(),
    market_ticker: z.string(),
    is_taker: z.boolean(),
    side,
    action,
    yes_price: cents,
    no_price: cents,
    count,
    ts: z.number().int(),
  }),
});
/** A fill pushed by the exchange. */
export type WsFill = z.infer<typeof WsFillSchema>;

/** `subscribed`: one reply per channel of a subscribe command, carrying the command id. */
export const WsSubscribedSchema = z.object({
  id: z.number().int().optional(),
  type: z.literal('subscribed'),
  msg: z.object({ channel: z.string(), sid: z.number().int() }),
});

/** `error`: a command failed. The exchange uses numeric codes (8 = unknown channel, ...). */
export const WsErrorSchema = z.object({
  id: z.number().int().optional(),
  type: z.literal('error'),
  msg: z.object({
    code: z.union([z.number(), z.string()]),
    msg: z.string().optional(),
    message: z.string().optional(),
  }),
});

/** Every server message the client understands, by `type`. */
export const WsMessageSchema = z.discriminatedUnion('type', [
  WsMarketPositionSchema,
  WsTickerSchema,
  WsFillSchema,
  WsSubscribedSchema,
  WsErrorSchema,
]);
/** A parsed server message. */
export type WsMessage = z.infer<typeof WsMessageSchema>;
