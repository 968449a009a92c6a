/** Percentile (0..100) of already sorted samples, nearest-rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** p50/p99/max of samples in milliseconds. */
export function summarize(samples: number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** Runs `op` from `workers` concurrent loops for `durationMs`; returns operations per second. */
export async function closedLoop(
  workers: number,
  durationMs: number,
  op: (worker: number, i: number) => Promise<void>,
): Promise<number> {
  const end = performance.now() + durationMs;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        await op(w, i);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

/**
 * Offers `rate` operations a second for `durationMs` regardless of how long each takes
 * (open loop, so queueing shows up in the latencies); resolves when all have finished.
 */
export async function openLoop(
  rate: number,
  durationMs: number,
  op: (i: number) => Promise<void>,
): Promise<{ offered: number; achieved: number }> {
  const start = performance.now();
  const pending: Promise<void>[] = [];
  let issued = 0;
  while (performance.now() - start < durationMs) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (issued < due) pending.push(op(issued++));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return { offered: rate, achieved: issued / ((performance.now() - start) / 1000) };
}
