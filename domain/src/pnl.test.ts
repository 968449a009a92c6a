import { describe, expect, it } from 'vitest';
import { InvalidAmountError } from './errors.js';
import { closedTradePnl, settledTradePnl } from './pnl.js';

describe('closedTradePnl', () => {
  it('sells at 100 − the opposite fill and subtracts the fees', () => {
    // Bought YES at 90, closed by buying NO at 5 → sold at 95; (95 − 90) × 3 − 4 = 11 → W.
    expect(closedTradePnl({ buyPriceCents: 90, count: 3, oppositeFillPriceCents: 5, fees: 4 })).toEqual({
      sellPriceCents: 95,
      pnlCents: 11,
      winLoss: 'W',
    });
    // Bought at 90, opposite filled at 55 → sold at 45; (45 − 90) × 2 − 2 = −92 → L.
    expect(closedTradePnl({ buyPriceCents: 90, count: 2, oppositeFillPriceCents: 55, fees: 2 })).toEqual({
      sellPriceCents: 45,
      pnlCents: -92,
      winLoss: 'L',
    });
  });

  it('counts a zero pnl as a loss', () => {
    // (52 − 50) × 1 − 2 = 0 → L.
    expect(closedTradePnl({ buyPriceCents: 50, count: 1, oppositeFillPriceCents: 48, fees: 2 })).toEqual({
      sellPriceCents: 52,
      pnlCents: 0,
      winLoss: 'L',
    });
  });

  it('rejects amounts outside their domain', () => {
    const ok = { buyPriceCents: 50, count: 1, oppositeFillPriceCents: 48, fees: 0 };
    for (const bad of [
      { buyPriceCents: 0 },
      { buyPriceCents: 100 },
      { buyPriceCents: 9.5 },
      { oppositeFillPriceCents: 0 },
      { count: 0 },
      { count: 1.5 },
      { fees: -1 },
      { fees: 0.5 },
    ]) {
      expect(() => closedTradePnl({ ...ok, ...bad }), JSON.stringify(bad)).toThrow(InvalidAmountError);
    }
  });
});

describe('settledTradePnl', () => {
  it('sells at 100 when the side paid out, else 0', () => {
    // (100 − 93) × 10 − 7 = 63 → W; (0 − 93) × 10 − 7 = −937 → L.
    expect(settledTradePnl({ buyPriceCents: 93, count: 10, paidOut: true, fees: 7 })).toEqual({
      sellPriceCents: 100,
      pnlCents: 63,
      winLoss: 'W',
    });
    expect(settledTradePnl({ buyPriceCents: 93, count: 10, paidOut: false, fees: 7 })).toEqual({
      sellPriceCents: 0,
      pnlCents: -937,
      winLoss: 'L',
    });
    expect(() => settledTradePnl({ buyPriceCents: 93, count: 0, paidOut: true, fees: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_AMOUNT' }),
    );
  });
});
