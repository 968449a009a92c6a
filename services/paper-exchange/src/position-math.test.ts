import { describe, expect, it } from 'vitest';
import { applyBuy, applySettlement, emptyPosition } from './position-math.js';

describe('position netting (yes > 0, no < 0)', () => {
  it('closes a YES position by buying NO: the pairs pay 100 each, pnl = (sell − buy) × count', () => {
    const p = emptyPosition('T', 'E', 0);
    applyBuy(p, 'yes', 10, 60, 17, 0); // 10 YES at 60¢: cost 600
    expect(p).toMatchObject({ position: 10, cost: 600, feesPaid: 17 });
    // Buy 10 NO at 35¢: the YES is sold at 100 − 35 = 65¢.
    const effect = applyBuy(p, 'no', 10, 35, 16, 1);
    expect(effect).toEqual({ closed: 10, opened: 0, payoutCents: 1000 });
    expect(p.position).toBe(0);
    expect(p.cost).toBe(0);
    expect(p.realizedPnl).toBe(50); // 1000 − 600 − 350 = (65 − 60) × 10
    expect(p.feesPaid).toBe(33);
  });

  it('flips through zero: a larger opposite buy closes what is held and opens the rest', () => {
    const p = emptyPosition('T', 'E', 0);
    applyBuy(p, 'no', 4, 30, 0, 0); // −4, cost 120
    const effect = applyBuy(p, 'yes', 6, 72, 0, 0); // closes 4, opens 2 YES at 72
    expect(effect).toEqual({ closed: 4, opened: 2, payoutCents: 400 });
    expect(p.position).toBe(2);
    expect(p.cost).toBe(144);
    expect(p.realizedPnl).toBe(400 - 120 - 4 * 72); // −8
  });

  it('closes part of a position at its pro-rata cost', () => {
    const p = emptyPosition('T', 'E', 0);
    applyBuy(p, 'yes', 3, 33, 0, 0); // cost 99
    applyBuy(p, 'no', 1, 60, 0, 0); // closes 1 YES costing round(99/3) = 33
    expect(p.position).toBe(2);
    expect(p.cost).toBe(66);
    expect(p.realizedPnl).toBe(100 - 33 - 60);
  });

  it('settles: winning contracts pay 100, the position goes flat', () => {
    const p = emptyPosition('T', 'E', 0);
    applyBuy(p, 'no', 5, 20, 0, 0);
    const lost = applySettlement({ ...p }, 'yes', 0);
    expect(lost).toMatchObject({ noCount: 5, yesCount: 0, revenueCents: 0, noTotalCost: 100 });
    const won = applySettlement(p, 'no', 0);
    expect(won.revenueCents).toBe(500);
    expect(p).toMatchObject({ position: 0, cost: 0, realizedPnl: 400 });
  });
});
