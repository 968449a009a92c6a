// Position arithmetic, in integer cents, in the exchange's convention: `position` > 0 holds YES
// contracts, < 0 holds NO contracts. A YES and a NO of the same market together always pay 100,
// so buying the side opposite to what is held nets them at once, as the exchange does:
//   k = min(bought, held opposite); the k pairs pay 100 each into the balance now;
//   realized_pnl += k × 100 − (cost of the k contracts closed) − k × price paid.
// The cost of a partial close is the held cost pro rata, rounded to the cent; a full close
// takes the whole remaining cost, so a position closed to zero leaves no cost behind.
// realized_pnl excludes fees (fees_paid holds them), like the exchange's positions.

/** The state of one account in one market. */
export interface PositionState {
  ticker: string;
  eventTicker: string;
  position: number;
  /** Cost (cents) of the contracts held now: the exchange's market_exposure. */
  cost: number;
  realizedPnl: number;
  feesPaid: number;
  /** Cents spent on buys in this market. */
  totalTraded: number;
  /** Contracts bought in this market. */
  volume: number;
  lastUpdatedMs: number;
}

/** A fresh, flat position. */
export function emptyPosition(ticker: string, eventTicker: string, nowMs: number): PositionState {
  return {
    ticker,
    eventTicker,
    position: 0,
    cost: 0,
    realizedPnl: 0,
    feesPaid: 0,
    totalTraded: 0,
    volume: 0,
    lastUpdatedMs: nowMs,
  };
}

/** What a buy did to a position; `payoutCents` is credited to the balance by the netting. */
export interface BuyEffect {
  closed: number;
  opened: number;
  payoutCents: number;
}

/** Applies a buy of `count` contracts of `side` at `priceCents` (fee separate) to `p`, in place. */
export function applyBuy(
  p: PositionState,
  side: 'yes' | 'no',
  count: number,
  priceCents: number,
  feeCents: number,
  nowMs: number,
): BuyEffect {
  const sign = side === 'yes' ? 1 : -1;
  const heldOpposite = Math.max(0, -p.position * sign);
  const closed = Math.min(count, heldOpposite);
  let payout = 0;
  if (closed > 0) {
    const closedCost = closed === heldOpposite ? p.cost : Math.round((p.cost * closed) / heldOpposite);
    p.cost -= closedCost;
    payout = closed * 100;
    p.realizedPnl += payout - closedCost - closed * priceCents;
    p.position += sign * closed;
  }
  const opened = count - closed;
  if (opened > 0) {
    p.position += sign * opened;
    p.cost += opened * priceCents;
  }
  p.feesPaid += feeCents;
  p.totalTraded += count * priceCents;
  p.volume += count;
  p.lastUpdatedMs = nowMs;
  return { closed, opened, payoutCents: payout };
}

/** What settling a position paid; the position is flat afterwards. */
export interface SettleEffect {
  yesCount: number;
  noCount: number;
  yesTotalCost: number;
  noTotalCost: number;
  revenueCents: number;
}

/** Settles `p` in place: winning contracts pay 100 cents each; realized_pnl += revenue − cost. */
export function applySettlement(p: PositionState, result: 'yes' | 'no', nowMs: number): SettleEffect {
  const yesCount = Math.max(0, p.position);
  const noCount = Math.max(0, -p.position);
  const revenue = (result === 'yes' ? yesCount : noCount) * 100;
  const effect: SettleEffect = {
    yesCount,
    noCount,
    yesTotalCost: yesCount > 0 ? p.cost : 0,
    noTotalCost: noCount > 0 ? p.cost : 0,
    revenueCents: revenue,
  };
  p.realizedPnl += revenue - p.cost;
  p.position = 0;
  p.cost = 0;
  p.lastUpdatedMs = nowMs;
  return effect;
}
