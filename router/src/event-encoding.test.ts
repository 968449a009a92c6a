import { describe, expect, it } from 'vitest';
import { DEFAULT_CHANNEL_CLASSES } from './channel-classes.js';
import { Channels } from './channels.js';
import { encodeEvent } from './event-encoding.js';

const channels = new Channels(DEFAULT_CHANNEL_CLASSES);

describe('encodeEvent', () => {
  it('gives each event a fresh UUID and its JSON text', () => {
    const a = encodeEvent(channels, 1_000, { channel: 'trades:u1', type: 'trade.opened', data: { a: 1 } });
    const b = encodeEvent(channels, 1_000, { channel: 'trades:u1', type: 'trade.opened', data: { a: 1 } });
    expect(a.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.event_id).not.toBe(b.event_id);
    expect(a.dataText).toBe('{"a":1}');
  });

  it("gives time-ordered ids (UUIDv7): event_log's key grows at its right edge", () => {
    const before = Date.now();
    // More ids than one fill of the random pool (256): ordered and unique across refills too.
    const ids = Array.from(
      { length: 600 },
      () => encodeEvent(channels, 1_000, { channel: 'trades:u1', type: 't', data: {} }).event_id,
    );
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const msOf = (id: string): number => Number.parseInt(id.replace('-', '').slice(0, 12), 16);
    expect(msOf(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(msOf(ids.at(-1)!)).toBeLessThanOrEqual(Date.now() + 1); // the counter may carry into the next ms
    // The random part differs from id to id (a pool handing out the same bytes twice would repeat it).
    expect(new Set(ids.map((id) => id.slice(-12))).size).toBe(ids.length);
  });

  it('refuses a latest-value channel in a transaction, and an exactly-once one for publishLatest', () => {
    expect(() => encodeEvent(channels, 1_000, { channel: 'prices:btc', type: 'price.tick', data: {} })).toThrow(
      expect.objectContaining({ code: 'DELIVERY_MISMATCH' }),
    );
    expect(() => encodeEvent(channels, 1_000, { channel: 'trades:u1', type: 't', data: {} }, true)).toThrow(
      expect.objectContaining({ code: 'DELIVERY_MISMATCH' }),
    );
    expect(encodeEvent(channels, 1_000, { channel: 'prices:btc', type: 'price.tick', data: {} }, true).channel).toBe(
      'prices:btc',
    );
  });

  it('counts the limit in bytes, not characters', () => {
    expect(() => encodeEvent(channels, 10, { channel: 'trades:u1', type: 't', data: 'ééééé' })).toThrow(
      /is 12 bytes; the limit is 10/,
    );
  });

  it('refuses a channel of a class the router does not publish, before anything is written', () => {
    const settingsOnly = new Channels(DEFAULT_CHANNEL_CLASSES, ['settings']);
    expect(
      encodeEvent(settingsOnly, 1_000, { channel: 'settings:u1', type: 'settings.updated', data: {} }).channel,
    ).toBe('settings:u1');
    expect(() =>
      encodeEvent(settingsOnly, 1_000, { channel: 'trades:u1', type: 'trade.open_requested', data: {} }),
    ).toThrow(
      expect.objectContaining({ code: 'CHANNEL_NOT_PUBLISHED', message: expect.stringContaining('(settings)') }),
    );
    // a bad channel is still a bad channel first
    expect(() => encodeEvent(settingsOnly, 1_000, { channel: 'nope', type: 't', data: {} })).toThrow(
      expect.objectContaining({ code: 'INVALID_CHANNEL' }),
    );
  });
});
