import {
  DEAD_LETTER_NOTICE,
  HEALTH_CHANNEL,
  STREAM_REPAIRED_NOTICE,
  type DeadLetterNotice,
  type StreamRepairedNotice,
} from '@recio/contract';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { EventSchemaError, parseEvent, type DeadLetterNoticeData, type StreamRepairedData } from './index.js';

const tick = {
  symbol: 'btc',
  at: 1_000,
  price: 100_000.5,
  momentum: 0.12,
  volatility: 0.5,
  avg1m: null,
  change1h: null,
  change3h: null,
  change1d: null,
};

describe('parseEvent', () => {
  it('types an event by its channel class and fills defaults', () => {
    expect(parseEvent('prices:btc', { type: 'price.tick', data: tick })).toEqual({ type: 'price.tick', data: tick });
    const request = {
      tradeId: '6f1e2f8a-3c1b-5b7e-9d59-1d3c0f6a2b10',
      userId: 'user_0001',
      eventTicker: 'KXBTCD-26MAR1011',
      marketTicker: 'KXBTCD-26MAR1011-T99999.99',
      strike: 99_999.99,
      side: 'yes',
      count: 1,
      limitPriceCents: 95,
      entryMethod: 'auto',
      probability: 96,
      diff: 1,
      momentum: null,
      volatility: null,
      priceAtOpen: 100_100,
      marketCloseAt: 3_600_000,
      requestedAt: 1_000,
    };
    const parsed = parseEvent('trades:user_0001', { type: 'trade.open_requested', data: request });
    expect(parsed.data).toMatchObject({ symbol: 'btc' }); // the default
  });

  it('refuses a wrong type, bad data and an unknown class with a code and the path', () => {
    expect(() => parseEvent('prices:btc', { type: 'trade.opened', data: tick })).toThrow(EventSchemaError);
    const bad = () => parseEvent('prices:btc', { type: 'price.tick', data: { ...tick, price: -1 } });
    expect(bad).toThrow(/price\.tick on prices:btc: data\.price: /);
    try {
      bad();
    } catch (err) {
      expect((err as EventSchemaError).code).toBe('EVENT_SCHEMA');
    }
    expect(() => parseEvent('orders:x', { type: 'order.placed', data: {} })).toThrow(
      /no event schema for channel class "orders"/,
    );
    // a close request names its trade by UUID
    expect(() =>
      parseEvent('trades:u', {
        type: 'trade.close_requested',
        data: { tradeId: 'nope', userId: 'u', method: 'auto', reason: 'x', priceAtClose: null, requestedAt: 1 },
      }),
    ).toThrow(/data\.tradeId/);
  });
});

describe('the system class', () => {
  const notice: DeadLetterNotice = {
    group: 'trade-manager',
    consumer: 'trade-manager-0',
    channel: 'trades:user_0001',
    seq: 7,
    event_id: '6f1e2f8a-3c1b-5b7e-9d59-1d3c0f6a2b10',
    type: 'trade.open_requested',
    deliveries: 5,
    error_code: 'HANDLER_FAILED',
    error: 'boom',
  };

  it("accepts the router's own dead-letter notice (regression: the schema refused it, so a system:* consumer dead-lettered every one)", () => {
    expect(parseEvent(HEALTH_CHANNEL, { type: DEAD_LETTER_NOTICE, data: notice })).toEqual({
      type: DEAD_LETTER_NOTICE,
      data: notice,
    });
    expect(() => parseEvent(HEALTH_CHANNEL, { type: DEAD_LETTER_NOTICE, data: { ...notice, seq: 0 } })).toThrow(
      EventSchemaError,
    );
  });

  it("describes the notices exactly as the router's types do", () => {
    expectTypeOf<z.infer<typeof DeadLetterNoticeData>>().toEqualTypeOf<DeadLetterNotice>();
    expectTypeOf<z.infer<typeof StreamRepairedData>>().toEqualTypeOf<StreamRepairedNotice>();
  });

  it("accepts the relay's notice of a stream it repaired", () => {
    const data = { channel: 'trades:user_0001', head: 5, removed: 1, groupsReset: 2 };
    expect(parseEvent(HEALTH_CHANNEL, { type: STREAM_REPAIRED_NOTICE, data })).toEqual({
      type: STREAM_REPAIRED_NOTICE,
      data,
    });
  });
});
