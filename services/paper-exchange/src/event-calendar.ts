// The hourly BTC series: one event per hour, named after the Eastern-time hour at which it
// closes (KXBTCD-25JUL1617 closes 17:00 ET on 2025-07-16). ET is UTC-4 or UTC-5, a whole number
// of hours, so an ET top of the hour is also a UTC top of the hour: closes are multiples of 3600 s.

/** Series ticker of the hourly BTC "above/below" events. */
export const SERIES_TICKER = 'KXBTCD';
/** Distance between strikes, in dollars. */
export const STRIKE_STEP = 250;
/** Markets per event; odd, so the strike nearest the opening spot sits in the middle. */
export const STRIKES_PER_EVENT = 41;

const ET = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  year: '2-digit',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
});

/** The Eastern-time parts of an instant: `{ yy, mon (JUL), dd, hh, mm, zone (EDT|EST) }`. */
export function easternParts(ms: number): {
  yy: string;
  mon: string;
  dd: string;
  hh: string;
  mm: string;
  zone: string;
} {
  const parts: Record<string, string> = {};
  for (const part of ET.formatToParts(new Date(ms))) parts[part.type] = part.value;
  return {
    yy: parts.year ?? '00',
    mon: (parts.month ?? 'JAN').toUpperCase(),
    dd: parts.day ?? '01',
    hh: parts.hour ?? '00',
    mm: parts.minute ?? '00',
    zone: parts.timeZoneName ?? 'ET',
  };
}

/** The event ticker for the event closing at `closeSec` (unix seconds, a top of the hour). */
export function eventTickerFor(closeSec: number): string {
  const p = easternParts(closeSec * 1000);
  return `${SERIES_TICKER}-${p.yy}${p.mon}${p.dd}${p.hh}`;
}

/** The close (unix seconds) of the event that is open at `sec`: the next top of the hour after it. */
export function closeSecFor(sec: number): number {
  return (Math.floor(sec / 3600) + 1) * 3600;
}

/** True when `sec` is a top of the hour (an event closes and the next one opens). */
export function isTopOfHour(sec: number): boolean {
  return sec % 3600 === 0;
}

/** The strikes (dollars) of an event: `STRIKES_PER_EVENT` values n×250 − 0.01 centred on `spot`. */
export function strikesAround(spot: number): number[] {
  const centre = Math.round(spot / STRIKE_STEP);
  const half = Math.floor(STRIKES_PER_EVENT / 2);
  const strikes: number[] = [];
  for (let k = -half; k <= half; k++) {
    const n = centre + k;
    if (n >= 1) strikes.push(Math.round((n * STRIKE_STEP - 0.01) * 100) / 100);
  }
  return strikes;
}

/** A market ticker: `${event}-T${strike.toFixed(2)}`, "at or above strike + 0.01". */
export function marketTickerFor(eventTicker: string, strike: number): string {
  return `${eventTicker}-T${strike.toFixed(2)}`;
}
