import { describe, expect, it } from 'vitest';
import { fullScope, mergeScopes, scopeKind, sweepScope, tickerScope } from './sync-scope.js';

describe('mergeScopes', () => {
  it('keeps the tickers of a burst of position messages in one incremental sync', () => {
    const merged = mergeScopes(mergeScopes(tickerScope('A', 'ws'), tickerScope('B', 'ws')), tickerScope('A', 'ws'));
    expect(scopeKind(merged)).toBe('incremental');
    expect([...merged.tickers].sort()).toEqual(['A', 'B']);
    expect(merged.reasons).toEqual(['ws']);
  });

  it('lets a full resync or a sweep cover the tickers requested next to it', () => {
    expect(scopeKind(mergeScopes(tickerScope('A', 'ws'), fullScope('reconnected')))).toBe('full');
    const sweep = mergeScopes(sweepScope('timer'), tickerScope('A', 'ws'));
    expect(scopeKind(sweep)).toBe('sweep');
    // the sweep reads every position; A's orders are still re-read
    expect([...sweep.tickers]).toEqual(['A']);
  });

  it('keeps the first five distinct reasons', () => {
    let scope = tickerScope('T0', 'r0');
    for (let i = 1; i < 9; i++) scope = mergeScopes(scope, tickerScope(`T${i}`, `r${i}`));
    expect(scope.reasons).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(scope.tickers.size).toBe(9);
  });
});
