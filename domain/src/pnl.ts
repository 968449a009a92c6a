import { InvalidAmountError } from './errors.js';

/** W when the trade made money, L otherwise (a zero pnl, a scratch, counts as L). */
export type WinLoss = 'W' | 'L';

/** The outcome of a finished trade, all in integer cents. */
export interface TradePnl {
  /** Per contract. */
  sellPriceCents: number;
  pnlCents: number;
  winLoss: WinLoss;
}

/** A trade closed by buying the opposite side. */
export interface ClosedTradeInput {
  buyPriceCents: number;
  count: number;
  /** What the opposite-side buy filled at, cents. */
  oppositeFillPriceCents: number;
  /** Sum of the fees of the trade's orders, cents. */
  fees: number;
}

/**
 * Pnl of a closed trade: buying the opposite side at p locks a payout of 100, so the position was
 * in effect sold at 100 − p; pnl = (sell − buy) × count − fees.
 * @throws InvalidAmountError for a price outside 1..99, a count below 1 or negative fees (all integers).
 */
export function closedTradePnl(input: ClosedTradeInput): TradePnl {
  checkPrice('buyPriceCents', input.buyPriceCents);
  checkPrice('oppositeFillPriceCents', input.oppositeFillPriceCents);
  checkCountAndFees(input.count, input.fees);
  return outcome(100 - input.oppositeFillPriceCents, input.buyPriceCents, input.count, input.fees);
}

/** A trade held to the close and settled by the exchange. */
export interface SettledTradeInput {
  buyPriceCents: number;
  count: number;
  /** Whether the trade's side paid out $1 a contract. */
  paidOut: boolean;
  fees: number;
}

/** Pnl of a settled trade: sell price 100 when it paid out, else 0. */
export function settledTradePnl(input: SettledTradeInput): TradePnl {
  checkPrice('buyPriceCents', input.buyPriceCents);
  checkCountAndFees(input.count, input.fees);
  return outcome(input.paidOut ? 100 : 0, input.buyPriceCents, input.count, input.fees);
}

function outcome(sellPriceCents: number, buyPriceCents: number, count: number, fees: number): TradePnl {
  const pnlCents = (sellPriceCents - buyPriceCents) * count - fees;
  return { sellPriceCents, pnlCents, winLoss: pnlCents > 0 ? 'W' : 'L' };
}

function checkPrice(field: string, cents: number): void {
  if (!Number.isInteger(cents) || cents < 1 || cents > 99)
    throw new InvalidAmountError(field, cents, 'an integer 1..99 (cents)');
}

function checkCountAndFees(count: number, fees: number): void {
  if (!Number.isInteger(count) || count < 1) throw new InvalidAmountError('count', count, 'an integer ≥ 1');
  if (!Number.isInteger(fees) || fees < 0) throw new InvalidAmountError('fees', fees, 'an integer ≥ 0 (cents)');
}
