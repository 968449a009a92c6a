import type { Fill, Order, Settlement } from '@recio/exchange-client';
import { describe, expect, it } from 'vitest';
import { dollarsToCents, toFillRecord, toOrderRow, toSettlementRecord, toSettlementRow } from './wire-records.js';

const fill: Fill = {
  trade_id: 't-1',
  order_id: 'o-1',
  ticker: 'KXBTCD-25JUL1617-T119499.99',
  side: 'yes',
  action: 'buy',
  count: 3,
  yes_price: 56,
  no_price: 44,
  is_taker: true,
  created_time: '2025-07-16T20:15:00.000Z',
  fee_cost: '0.0500',
};

describe('wire records', () => {
  it('reads fixed-point dollars as cents', () => {
    expect(dollarsToCents('0.0200')).toBe(2);
    expect(dollarsToCents('1.2350')).toBe(124); // 123.5 ¢ rounds up
    expect(dollarsToCents('1.0050')).toBe(101); // 100.5 ¢: 1.005 × 100 in floating point would give 100
    expect(dollarsToCents('0.0049')).toBe(0);
    expect(dollarsToCents('-0.0150')).toBe(-2);
    expect(dollarsToCents('0')).toBe(0);
    expect(dollarsToCents(undefined)).toBeNull();
    expect(dollarsToCents('n/a')).toBeNull();
  });

  it('keys a fill by fill_id, else trade_id, and keeps its fee in cents', () => {
    expect(toFillRecord(fill)).toEqual({
      fillId: 't-1',
      orderId: 'o-1',
      ticker: fill.ticker,
      side: 'yes',
      action: 'buy',
      count: 3,
      yesPrice: 56,
      noPrice: 44,
      isTaker: true,
      feeCents: 5,
      createdAt: Date.parse('2025-07-16T20:15:00.000Z'),
    });
    expect(toFillRecord({ ...fill, fill_id: 'f-9' })?.fillId).toBe('f-9');
    expect(toFillRecord({ ...fill, fee_cost: undefined })?.feeCents).toBeNull();
    expect(toFillRecord({ ...fill, count: 0 })).toBeNull();
  });

  it('publishes only yes/no settlements as records', () => {
    const s: Settlement = {
      ticker: 'T',
      market_result: 'no',
      yes_count: 0,
      no_count: 4,
      revenue: 400,
      settled_time: '2025-07-16T21:00:00.000Z',
    };
    expect(toSettlementRecord(toSettlementRow(s))).toEqual({
      ticker: 'T',
      marketResult: 'no',
      yesCount: 0,
      noCount: 4,
      revenueCents: 400,
      settledAt: Date.parse(s.settled_time),
    });
    expect(toSettlementRecord(toSettlementRow({ ...s, market_result: 'void' }))).toBeNull();
  });

  it('sums an order’s taker and maker fees', () => {
    const o: Order = {
      order_id: 'o-1',
      client_order_id: 'c-1',
      ticker: 'T',
      side: 'no',
      action: 'buy',
      type: 'limit',
      status: 'executed',
      yes_price: 60,
      no_price: 40,
      fill_count: 2,
      taker_fees: 3,
      maker_fees: 1,
      created_time: '2025-07-16T20:15:00.000Z',
    };
    expect(toOrderRow(o)).toMatchObject({ feesCents: 4, clientOrderId: 'c-1', createdAt: Date.parse(o.created_time) });
    expect(toOrderRow({ ...o, taker_fees: undefined, maker_fees: undefined, client_order_id: '' })).toMatchObject({
      feesCents: null,
      clientOrderId: null,
    });
  });
});
