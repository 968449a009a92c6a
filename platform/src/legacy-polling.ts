/**
 * What the legacy system's polling cost PostgreSQL per minute, at least one statement per poll
 * (DOMAIN.md "The legacy frontend", the proposal's "Identified Polling Loops"): the floor recio's
 * statements are measured against (the query bench, the migration dashboard).
 */
export const LEGACY_POLLS_PER_MINUTE = {
  /** Per trader with the UI open: prices every 5 s, strike table every 1 s, active trades every 0.5–1 s (taken as 1 s), history every 10 s, balance every 30 s. */
  uiPerTrader: { prices: 12, strikeTable: 60, trades: 60, history: 6, balance: 2 },
  /** Per user: the auto-entry supervisor's scan every 1 s. */
  autoEntryPerUser: 60,
  /** Once: the active trade supervisor's 5 s loop, the price watchdog's write of each second, the database change monitor's 1 s loop. */
  fixed: { activeTradeSupervisor: 12, priceWatchdog: 60, changeMonitor: 60 },
} as const;

const sum = (o: Readonly<Record<string, number>>) => Object.values(o).reduce((s, n) => s + n, 0);

/** Legacy statements per minute for `traders` users, each with the UI open and auto entry on. */
export function legacyPollingPerMinute(traders: number): { perTrader: number; fixed: number; total: number } {
  const perTrader = sum(LEGACY_POLLS_PER_MINUTE.uiPerTrader) + LEGACY_POLLS_PER_MINUTE.autoEntryPerUser;
  const fixed = sum(LEGACY_POLLS_PER_MINUTE.fixed);
  return { perTrader, fixed, total: perTrader * traders + fixed };
}
