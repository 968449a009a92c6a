import { describe, expect, it } from 'vitest';
import { ClientFrame, isGapless, ServerFrame } from './gateway.js';

describe('the gateway protocol', () => {
  it('parses the client ops and refuses what is not one', () => {
    expect(ClientFrame.parse({ op: 'subscribe', channel: 'trades:user_0001', since: 4 })).toEqual({
      op: 'subscribe',
      channel: 'trades:user_0001',
      since: 4,
    });
    expect(ClientFrame.parse({ op: 'ping', id: 'x' })).toEqual({ op: 'ping', id: 'x' });
    for (const bad of [
      { op: 'subscribe' },
      { op: 'subscribe', channel: 'trades:user_0001', since: -1 },
      { op: 'subscribe', channel: 'trades:user_0001', since: 1.5 },
      { op: 'unsubscribe', channel: 'x'.repeat(200) },
      { op: 'publish', channel: 'trades:user_0001' },
      { op: 'ping', id: 'x'.repeat(65) },
    ]) {
      expect(ClientFrame.safeParse(bad).success, JSON.stringify(bad).slice(0, 80)).toBe(false);
    }
  });

  it('delivers prices and markets as latest values, every other class gapless', () => {
    expect(isGapless('prices:btc')).toBe(false);
    expect(isGapless('markets:btc')).toBe(false);
    for (const c of ['trades:u', 'account:u', 'positions:u', 'settings:u', 'system:health'])
      expect(isGapless(c)).toBe(true);
  });

  it('types the server frames the page reads', () => {
    const event = { op: 'event', channel: 'prices:btc', seq: 3, event_id: 'e', type: 'price.tick', ts: 1, data: {} };
    expect(ServerFrame.parse(event)).toEqual(event);
    expect(ServerFrame.safeParse({ ...event, seq: 0 }).success).toBe(false);
    expect(ServerFrame.safeParse({ op: 'error', code: 'NOPE', message: '' }).success).toBe(false);
  });
});
