import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { ProbeLoop } from './probe-loop.js';

const logger = pino({ level: 'silent' });

describe('ProbeLoop', () => {
  it('never runs two probes at once, however slow one is, and keeps going after a failure', async () => {
    // Fake timers: the probe's slowness and the loop's schedule run on one clock the test moves,
    // so a probe is 15 × the interval on any machine, and nothing waits on real time.
    vi.useFakeTimers();
    try {
      let active = 0;
      let maxActive = 0;
      let runs = 0;
      const loop = new ProbeLoop({
        intervalMs: 1,
        logger,
        run: async () => {
          runs += 1;
          active += 1;
          maxActive = Math.max(maxActive, active);
          // far slower than the interval: a loop that did not wait for it would start the next one meanwhile
          await new Promise((resolve) => setTimeout(resolve, 15));
          active -= 1;
          if (runs === 2) throw new Error('probe blew up');
        },
      });
      loop.start();
      await vi.advanceTimersByTimeAsync(100); // room for six probes of 15 ms, one after another
      expect(runs).toBeGreaterThanOrEqual(4);
      const closed = loop.close();
      await vi.runAllTimersAsync(); // the probe under way ends; nothing is scheduled after it
      await closed;
      expect(vi.getTimerCount()).toBe(0);
      expect(maxActive).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('aborts the running probe on close and schedules nothing after it', async () => {
    let runs = 0;
    let aborted = false;
    const loop = new ProbeLoop({
      intervalMs: 1,
      logger,
      run: (signal) =>
        new Promise<void>((_, reject) => {
          runs += 1;
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        }),
    });
    loop.start();
    await loop.close();
    await loop.close(); // idempotent
    expect(aborted).toBe(true);
    expect(runs).toBe(1);
    expect(() => new ProbeLoop({ intervalMs: 0, logger, run: async () => undefined })).toThrow(/intervalMs/);
  });
});
