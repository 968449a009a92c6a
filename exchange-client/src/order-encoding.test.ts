import { describe, expect, it } from 'vitest';
import { encodeOrder, InvalidOrderError } from './order-encoding.js';

describe('encodeOrder', () => {
  it('encodes a YES buy as a marketable fill-or-kill limit at the ask with buy_max_cost', () => {
    expect(
      encodeOrder({
        ticker: 'KXBTCD-25JUL1617-T119499.99',
        side: 'yes',
        count: 3,
        limitCents: 56,
        clientOrderId: 'trade-1',
      }),
    ).toEqual({
      ticker: 'KXBTCD-25JUL1617-T119499.99',
      client_order_id: 'trade-1',
      action: 'buy',
      side: 'yes',
      count: 3,
      type: 'limit',
      yes_price: 56,
      time_in_force: 'fill_or_kill',
      buy_max_cost: 168, // 3 × 56
    });
  });

  it('prices a NO buy in no_price and never sends yes_price with it', () => {
    const body = encodeOrder({ ticker: 't', side: 'no', count: 2, limitCents: 97, clientOrderId: 'c' });
    expect(body.no_price).toBe(97);
    expect(body).not.toHaveProperty('yes_price');
    expect(body.buy_max_cost).toBe(194);
  });

  it('refuses what the exchange would refuse, before sending anything', () => {
    const ok = { ticker: 't', side: 'yes' as const, count: 1, limitCents: 50, clientOrderId: 'c' };
    for (const bad of [
      { count: 0 },
      { count: 1.5 },
      { limitCents: 0 },
      { limitCents: 100 },
      { clientOrderId: '' },
      { ticker: '' },
    ]) {
      expect(() => encodeOrder({ ...ok, ...bad })).toThrow(InvalidOrderError);
    }
  });
});
