import { describe, expect, it } from 'vitest';
import { type ApiError } from './api-error.js';
import { parseOrderRequest, takerFeeCents } from './order-rules.js';

describe('takerFeeCents = ceil(0.07 × count × P × (1 − P)) in cents', () => {
  it('matches worked examples', () => {
    expect(takerFeeCents(1, 50)).toBe(2); // 0.07 × 0.25 = $0.0175 → 2¢
    expect(takerFeeCents(100, 50)).toBe(175); // $1.75 exactly
    expect(takerFeeCents(10, 56)).toBe(18); // 0.07 × 10 × 0.56 × 0.44 = $0.17248 → 18¢
    expect(takerFeeCents(1, 1)).toBe(1); // $0.000693 → 1¢
    expect(takerFeeCents(100, 95)).toBe(34); // $0.3325 → 34¢
  });
});

describe('parseOrderRequest', () => {
  const base = {
    ticker: 'T',
    client_order_id: 'c-1',
    action: 'buy',
    side: 'yes',
    count: 2,
    type: 'limit',
    yes_price: 40,
    time_in_force: 'fill_or_kill',
  };

  it('takes the limit of the ordered side, from either price field', () => {
    expect(parseOrderRequest(base).limitCents).toBe(40);
    expect(parseOrderRequest({ ...base, yes_price: undefined, no_price: 55 }).limitCents).toBe(45);
    expect(parseOrderRequest({ ...base, side: 'no', yes_price: undefined, no_price: 55 }).limitCents).toBe(55);
  });

  it('answers bad input with a stable code', () => {
    const code = (body: unknown) => {
      try {
        parseOrderRequest(body);
        return 'accepted';
      } catch (error) {
        return (error as ApiError).code;
      }
    };
    expect(code(null)).toBe('invalid_parameters');
    expect(code([])).toBe('invalid_parameters');
    expect(code({ ...base, count: 0 })).toBe('invalid_parameters');
    expect(code({ ...base, side: 'maybe' })).toBe('invalid_parameters');
    expect(code({ ...base, yes_price: 100 })).toBe('invalid_parameters');
    expect(code({ ...base, yes_price: undefined })).toBe('invalid_parameters');
    expect(code({ ...base, no_price: 60 })).toBe('invalid_parameters'); // both prices
    expect(code({ ...base, action: 'sell' })).toBe('unsupported_action');
    expect(code({ ...base, time_in_force: 'good_till_canceled' })).toBe('unsupported_time_in_force');
  });
});
