import { InvalidCloseTimeError, InvalidTickerError } from './errors.js';

/** One hour in milliseconds. */
export const HOUR_MS = 3_600_000;

/** The time zone the exchange names its hourly events in. */
export const EASTERN_TIME_ZONE = 'America/New_York';

/** The series prefix of the BTC hourly above/below events. */
export const EVENT_SERIES = 'KXBTCD';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;

// Built once: the formatter is immutable, so sharing it keeps the helpers pure. `hourCycle: 'h23'`
// because `hour12: false` renders midnight as "24" in some ICU versions.
const EASTERN = new Intl.DateTimeFormat('en-US', {
  timeZone: EASTERN_TIME_ZONE,
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  hourCycle: 'h23',
});

/** Wall-clock fields of an instant in Eastern time (month 1..12, hour 0..23). */
export interface EasternTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** The Eastern-time (EST/EDT, DST aware) wall clock of an instant. */
export function easternTime(ms: number): EasternTime {
  const fields: Record<string, number> = {};
  for (const part of EASTERN.formatToParts(new Date(ms))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    year: fields['year'] ?? NaN,
    month: fields['month'] ?? NaN,
    day: fields['day'] ?? NaN,
    hour: fields['hour'] ?? NaN,
    minute: fields['minute'] ?? NaN,
  };
}

/**
 * The close of the hourly event trading at `nowMs`: the next top of the hour strictly after now.
 * Eastern time is UTC−5 or UTC−4, a whole number of hours, so the ET top of the hour is always a
 * UTC top of the hour and no time-zone lookup is needed. At exactly hh:00:00.000 the event of the
 * hour that just began is the one trading, so the close is an hour later.
 */
export function hourCloseAfter(nowMs: number): number {
  return (Math.floor(nowMs / HOUR_MS) + 1) * HOUR_MS;
}

/** Seconds from `nowMs` to the close of the current hour's event, in (0, 3600]. */
export function ttcSeconds(nowMs: number): number {
  return (hourCloseAfter(nowMs) - nowMs) / 1000;
}

/**
 * The event ticker `KXBTCD-YYMONDDHH` of the event closing at `closeMs`, with the ET date and ET
 * hour of the close (2025-07-16T21:00Z is 17:00 EDT → `KXBTCD-25JUL1617`).
 * @throws InvalidCloseTimeError when `closeMs` is not a finite top of the hour.
 */
export function eventTicker(closeMs: number): string {
  if (!Number.isFinite(closeMs)) throw new InvalidCloseTimeError(closeMs, 'not a finite number');
  if (closeMs % HOUR_MS !== 0) throw new InvalidCloseTimeError(closeMs, 'not a top of the hour');
  const et = easternTime(closeMs);
  const month = MONTHS[et.month - 1];
  if (month === undefined) throw new InvalidCloseTimeError(closeMs, 'outside the supported date range');
  return `${EVENT_SERIES}-${pad2(et.year % 100)}${month}${pad2(et.day)}${pad2(et.hour)}`;
}

/** The market ticker of one strike of an event: `${eventTicker}-T${strike.toFixed(2)}`. */
export function marketTicker(event: string, strike: number): string {
  return `${event}-T${strike.toFixed(2)}`;
}

/** The parts of a market ticker. */
export interface ParsedMarketTicker {
  eventTicker: string;
  strike: number;
}

const EVENT_RE = /^KXBTCD-(\d{2})([A-Z]{3})(\d{2})(\d{2})$/;
const MARKET_RE = /^(KXBTCD-\d{2}[A-Z]{3}\d{4})-T(\d+(?:\.\d+)?)$/;

/**
 * Splits `KXBTCD-25JUL1617-T119499.99` into its event ticker and strike (dollars).
 * @throws InvalidTickerError when the ticker does not have that shape or names no real ET hour.
 */
export function parseMarketTicker(ticker: string): ParsedMarketTicker {
  const match = MARKET_RE.exec(ticker);
  if (match === null) throw new InvalidTickerError(ticker, 'expected KXBTCD-YYMONDDHH-T<strike>');
  const event = match[1] as string;
  const strike = Number(match[2]);
  if (!(strike > 0)) throw new InvalidTickerError(ticker, 'the strike must be positive');
  eventCloseMs(event); // validates the date part
  return { eventTicker: event, strike };
}

/**
 * The close instant of an event ticker, the inverse of {@link eventTicker}.
 *
 * One ET hour a year is ambiguous: on the November fall-back day 01:00 ET happens twice (05:00Z in
 * EDT and 06:00Z in EST), so `eventTicker` maps both closes to the same name; this returns the
 * earlier one (EDT). The skipped spring-forward hour (02 on the March change day) names no instant.
 * @throws InvalidTickerError for a malformed ticker or an ET date/hour that does not exist.
 */
export function eventCloseMs(ticker: string): number {
  const match = EVENT_RE.exec(ticker);
  if (match === null) throw new InvalidTickerError(ticker, 'expected KXBTCD-YYMONDDHH');
  const [, yy, mon, dd, hh] = match as unknown as [string, string, string, string, string];
  const monthIndex = MONTHS.indexOf(mon as (typeof MONTHS)[number]);
  if (monthIndex < 0) throw new InvalidTickerError(ticker, `unknown month ${mon}`);
  // The ET wall clock read as if it were UTC; the real instant is 4 h (EDT) or 5 h (EST) later.
  const wallAsUtc = Date.UTC(2000 + Number(yy), monthIndex, Number(dd), Number(hh));
  for (const offsetHours of [4, 5]) {
    const candidate = wallAsUtc + offsetHours * HOUR_MS;
    // The round trip rejects impossible dates (FEB30, hour 24) and the skipped DST hour.
    if (eventTicker(candidate) === ticker) return candidate;
  }
  throw new InvalidTickerError(ticker, 'no such Eastern-time hour');
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
