/**
 * What one sync of a user re-reads from the exchange. Three shapes, merged when requests pile
 * up while a sync runs (a burst of WebSocket messages becomes one sync):
 * - full (start, WebSocket reconnect): every record, every page;
 * - sweep (the safety net): balance, every position, fills and settlements newer than the
 *   newest stored, and the orders that can have changed;
 * - tickers (a `market_position` message): balance, every position, those markets' orders, fills
 *   and settlements newer than the newest stored.
 */
export interface SyncScope {
  /** Every record, all pages. */
  readonly full: boolean;
  /** The safety net rather than a message (logs and metrics; every sync reads every position). */
  readonly sweep: boolean;
  /** Markets whose position and orders are re-read. */
  readonly tickers: ReadonlySet<string>;
  /** Why the sync runs (logs). */
  readonly reasons: readonly string[];
}

/** A full resync. */
export function fullScope(reason: string): SyncScope {
  return { full: true, sweep: true, tickers: new Set(), reasons: [reason] };
}

/** The safety net's sweep. */
export function sweepScope(reason: string): SyncScope {
  return { full: false, sweep: true, tickers: new Set(), reasons: [reason] };
}

/** A sync of the markets named by position messages. */
export function tickerScope(ticker: string, reason: string): SyncScope {
  return { full: false, sweep: false, tickers: new Set([ticker]), reasons: [reason] };
}

/** The kind of a scope, for metrics and logs. */
export function scopeKind(scope: SyncScope): 'full' | 'sweep' | 'incremental' {
  return scope.full ? 'full' : scope.sweep ? 'sweep' : 'incremental';
}

// A handful of reasons is enough to explain a sync in a log line.
const MAX_REASONS = 5;

/** The union of two scopes: one sync that covers what both would have read. */
export function mergeScopes(a: SyncScope, b: SyncScope): SyncScope {
  return {
    full: a.full || b.full,
    sweep: a.sweep || b.sweep,
    tickers: new Set([...a.tickers, ...b.tickers]),
    reasons: [...new Set([...a.reasons, ...b.reasons])].slice(0, MAX_REASONS),
  };
}
