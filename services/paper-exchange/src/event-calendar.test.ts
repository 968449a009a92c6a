import { describe, expect, it } from 'vitest';
import { closeSecFor, eventTickerFor, marketTickerFor, strikesAround } from './event-calendar.js';

const sec = (iso: string) => Date.parse(iso) / 1000;

describe('event calendar', () => {
  it('names an event after the Eastern-time hour of its close, DST aware', () => {
    expect(eventTickerFor(sec('2025-07-16T21:00:00Z'))).toBe('KXBTCD-25JUL1617'); // EDT, UTC-4
    expect(eventTickerFor(sec('2025-01-15T22:00:00Z'))).toBe('KXBTCD-25JAN1517'); // EST, UTC-5
    expect(eventTickerFor(sec('2025-07-17T04:00:00Z'))).toBe('KXBTCD-25JUL1700'); // midnight ET: next day, hour 00
    // 2025-11-02: 01:00 EDT happens, then 01:00 EST an hour later; both close "01".
    expect(eventTickerFor(sec('2025-11-02T05:00:00Z'))).toBe('KXBTCD-25NOV0201');
    expect(eventTickerFor(sec('2025-11-02T06:00:00Z'))).toBe('KXBTCD-25NOV0201');
  });

  it('closes the open event at the next top of the hour', () => {
    expect(closeSecFor(sec('2025-07-16T20:30:00Z'))).toBe(sec('2025-07-16T21:00:00Z'));
    expect(closeSecFor(sec('2025-07-16T21:00:00Z'))).toBe(sec('2025-07-16T22:00:00Z'));
  });

  it('lays 41 strikes n×250 − 0.01 around the spot', () => {
    const strikes = strikesAround(119_430);
    expect(strikes).toHaveLength(41);
    expect(strikes[20]).toBe(119_499.99); // round(119430 / 250) = 478 → 119500 − 0.01
    expect(strikes[0]).toBe(114_499.99);
    expect(strikes[40]).toBe(124_499.99);
    for (let i = 1; i < strikes.length; i++)
      expect((strikes[i] as number) - (strikes[i - 1] as number)).toBeCloseTo(250, 6);
    expect(marketTickerFor('KXBTCD-25JUL1617', 119_499.99)).toBe('KXBTCD-25JUL1617-T119499.99');
  });
});
