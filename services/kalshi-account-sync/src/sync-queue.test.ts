import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { SyncQueue } from './sync-queue.js';
import { fullScope, scopeKind, tickerScope, type SyncScope } from './sync-scope.js';

const logger = pino({ level: 'silent' });

// A run that stays open until the test releases it, so requests can pile up behind it.
function gatedRun() {
  const runs: SyncScope[] = [];
  const gates: (() => void)[] = [];
  let active = 0;
  let maxActive = 0;
  const run = async (scope: SyncScope) => {
    runs.push(scope);
    active += 1;
    maxActive = Math.max(maxActive, active);
    await new Promise<void>((resolve) => gates.push(resolve));
    active -= 1;
  };
  const release = () => gates.shift()?.();
  return { runs, run, release, maxActive: () => maxActive, waiting: () => gates.length };
}

describe('SyncQueue', () => {
  it('runs one sync at a time and merges what arrives meanwhile into one', async () => {
    const g = gatedRun();
    const queue = new SyncQueue({ run: g.run, logger });
    queue.request(tickerScope('A', 'ws'));
    await expect.poll(g.waiting).toBe(1);
    queue.request(tickerScope('B', 'ws'));
    queue.request(tickerScope('C', 'ws'));
    queue.request(tickerScope('B', 'ws'));
    g.release();
    await expect.poll(g.waiting).toBe(1);
    g.release();
    await queue.close();
    expect(g.runs.map((s) => [...s.tickers].sort())).toEqual([['A'], ['B', 'C']]);
    expect(g.maxActive()).toBe(1);
  });

  it('retries a failed sync together with what was requested meanwhile', async () => {
    const runs: SyncScope[] = [];
    let fail = true;
    const queue = new SyncQueue({
      run: async (scope) => {
        runs.push(scope);
        if (fail) {
          fail = false;
          queue.request(fullScope('reconnected'));
          throw new Error('exchange down');
        }
      },
      logger,
      retryBaseMs: 5,
    });
    queue.request(tickerScope('A', 'ws'));
    await expect.poll(() => runs.length).toBe(2);
    await queue.close();
    // the retry covers the failed incremental sync and the full resync requested during it
    expect(scopeKind(runs[1]!)).toBe('full');
    expect([...runs[1]!.tickers]).toEqual(['A']);
  });

  it('ignores requests after close and does not retry', async () => {
    // Fake timers: "no retry" is checked by running every timer there is, past the longest
    // backoff, instead of waiting some real milliseconds and hoping a retry would have come.
    vi.useFakeTimers();
    try {
      let runs = 0;
      const queue = new SyncQueue({
        run: async () => {
          runs += 1;
          throw new Error('always');
        },
        logger,
        retryBaseMs: 1,
      });
      queue.request(fullScope('start'));
      await queue.close();
      queue.request(fullScope('late'));
      const before = runs;
      expect(vi.getTimerCount()).toBe(0); // no retry scheduled
      await vi.advanceTimersByTimeAsync(60_000); // the longest backoff there is (retryMaxMs)
      expect(runs).toBe(before);
    } finally {
      vi.useRealTimers();
    }
    expect(() => new SyncQueue({ run: async () => undefined, logger, retryBaseMs: 0 })).toThrow(/retryBaseMs/);
  });
});
