import { describe, expect, it } from 'vitest';
import { InvalidCloseTimeError, InvalidTickerError } from './errors.js';
import {
  easternTime,
  eventCloseMs,
  eventTicker,
  hourCloseAfter,
  marketTicker,
  parseMarketTicker,
  ttcSeconds,
} from './time.js';

const utc = (iso: string): number => Date.parse(iso);

describe('hourCloseAfter / ttcSeconds', () => {
  it('is the next top of the hour strictly after now', () => {
    expect(hourCloseAfter(utc('2025-07-16T20:50:00Z'))).toBe(utc('2025-07-16T21:00:00Z'));
    expect(hourCloseAfter(utc('2025-07-16T20:59:59.999Z'))).toBe(utc('2025-07-16T21:00:00Z'));
    // At exactly the top of the hour the new hour's event trades: it closes an hour later.
    expect(hourCloseAfter(utc('2025-07-16T21:00:00Z'))).toBe(utc('2025-07-16T22:00:00Z'));
  });

  it('gives TTC in (0, 3600] seconds', () => {
    // 20:50:00 → 21:00:00 is 10 min = 600 s.
    expect(ttcSeconds(utc('2025-07-16T20:50:00Z'))).toBe(600);
    expect(ttcSeconds(utc('2025-07-16T20:59:59.500Z'))).toBe(0.5);
    expect(ttcSeconds(utc('2025-07-16T21:00:00Z'))).toBe(3600);
  });
});

describe('eventTicker', () => {
  it('uses the ET hour in daylight time (UTC−4)', () => {
    // 21:00Z − 4 h = 17:00 EDT on 16 July.
    expect(eventTicker(utc('2025-07-16T21:00:00Z'))).toBe('KXBTCD-25JUL1617');
  });

  it('uses the ET hour in standard time (UTC−5)', () => {
    // 22:00Z − 5 h = 17:00 EST on 15 January.
    expect(eventTicker(utc('2025-01-15T22:00:00Z'))).toBe('KXBTCD-25JAN1517');
  });

  it('rolls the ET date back when UTC has already passed midnight', () => {
    // 03:00Z on 17 July − 4 h = 23:00 EDT on 16 July; 04:00Z = 00:00 EDT on 17 July.
    expect(eventTicker(utc('2025-07-17T03:00:00Z'))).toBe('KXBTCD-25JUL1623');
    expect(eventTicker(utc('2025-07-17T04:00:00Z'))).toBe('KXBTCD-25JUL1700');
    // Winter: 04:00Z on 16 Jan − 5 h = 23:00 EST on 15 Jan; 05:00Z = 00:00 EST on 16 Jan.
    expect(eventTicker(utc('2025-01-16T04:00:00Z'))).toBe('KXBTCD-25JAN1523');
    expect(eventTicker(utc('2025-01-16T05:00:00Z'))).toBe('KXBTCD-25JAN1600');
    // New year: 04:00Z on 1 Jan 2026 = 23:00 EST on 31 Dec 2025.
    expect(eventTicker(utc('2026-01-01T04:00:00Z'))).toBe('KXBTCD-25DEC3123');
  });

  it('skips 02 on the spring-forward day and repeats 01 on the fall-back day', () => {
    // 9 Mar 2025: 06:00Z = 01:00 EST, 07:00Z = 03:00 EDT (02:00 never happens).
    expect(eventTicker(utc('2025-03-09T06:00:00Z'))).toBe('KXBTCD-25MAR0901');
    expect(eventTicker(utc('2025-03-09T07:00:00Z'))).toBe('KXBTCD-25MAR0903');
    // 2 Nov 2025: 05:00Z = 01:00 EDT, 06:00Z = 01:00 EST, 07:00Z = 02:00 EST.
    expect(eventTicker(utc('2025-11-02T05:00:00Z'))).toBe('KXBTCD-25NOV0201');
    expect(eventTicker(utc('2025-11-02T06:00:00Z'))).toBe('KXBTCD-25NOV0201');
    expect(eventTicker(utc('2025-11-02T07:00:00Z'))).toBe('KXBTCD-25NOV0202');
  });

  it('rejects an instant that is not a top of the hour', () => {
    expect(() => eventTicker(utc('2025-07-16T21:30:00Z'))).toThrow(InvalidCloseTimeError);
    expect(() => eventTicker(NaN)).toThrow(expect.objectContaining({ code: 'INVALID_CLOSE_TIME' }));
  });

  it('renders midnight as hour 0 of the wall clock', () => {
    expect(easternTime(utc('2025-07-17T04:00:00Z'))).toEqual({ year: 2025, month: 7, day: 17, hour: 0, minute: 0 });
  });
});

describe('eventCloseMs', () => {
  it('inverts eventTicker in summer and winter', () => {
    expect(eventCloseMs('KXBTCD-25JUL1617')).toBe(utc('2025-07-16T21:00:00Z'));
    expect(eventCloseMs('KXBTCD-25JAN1517')).toBe(utc('2025-01-15T22:00:00Z'));
    expect(eventCloseMs('KXBTCD-25JUL1700')).toBe(utc('2025-07-17T04:00:00Z'));
    expect(eventCloseMs('KXBTCD-25DEC3123')).toBe(utc('2026-01-01T04:00:00Z'));
  });

  it('round-trips every hour across both DST changes of 2025', () => {
    for (const [from, to] of [
      ['2025-03-08T00:00:00Z', '2025-03-11T00:00:00Z'],
      ['2025-11-01T00:00:00Z', '2025-11-04T00:00:00Z'],
    ] as const) {
      for (let t = utc(from); t < utc(to); t += 3_600_000) {
        // The repeated 01 of the fall-back day maps to its first (EDT) instant.
        const expected = t === utc('2025-11-02T06:00:00Z') ? utc('2025-11-02T05:00:00Z') : t;
        expect(eventCloseMs(eventTicker(t))).toBe(expected);
      }
    }
  });

  it('rejects the skipped hour, impossible dates and bad shapes', () => {
    expect(() => eventCloseMs('KXBTCD-25MAR0902')).toThrow(InvalidTickerError);
    expect(() => eventCloseMs('KXBTCD-25FEB3017')).toThrow(InvalidTickerError);
    expect(() => eventCloseMs('KXBTCD-25JUL1624')).toThrow(InvalidTickerError);
    expect(() => eventCloseMs('KXBTCD-25XYZ1617')).toThrow(InvalidTickerError);
    expect(() => eventCloseMs('KXETHD-25JUL1617')).toThrow(expect.objectContaining({ code: 'INVALID_TICKER' }));
  });
});

describe('marketTicker / parseMarketTicker', () => {
  it('formats the strike with two decimals', () => {
    expect(marketTicker('KXBTCD-25JUL1617', 119499.99)).toBe('KXBTCD-25JUL1617-T119499.99');
    expect(marketTicker('KXBTCD-25JUL1617', 119500)).toBe('KXBTCD-25JUL1617-T119500.00');
  });

  it('parses what it formats', () => {
    expect(parseMarketTicker('KXBTCD-25JUL1617-T119499.99')).toEqual({
      eventTicker: 'KXBTCD-25JUL1617',
      strike: 119499.99,
    });
  });

  it('rejects malformed tickers with a typed error', () => {
    for (const bad of [
      'KXBTCD-25JUL1617',
      'KXBTCD-25JUL1617-B119499.99',
      'KXBTCD-25JUL1617-T',
      'KXBTCD-25MAR0902-T1.00',
      'KXBTCD-25JUL1617-T0',
    ]) {
      expect(() => parseMarketTicker(bad), bad).toThrow(InvalidTickerError);
    }
  });
});
