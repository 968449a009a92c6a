import { TopologyTimeoutError } from './errors.js';

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `check` every `intervalMs` until it returns a value other than `undefined`, and returns
 * that value. A throwing check counts as "not yet". After `timeoutMs` it throws a
 * TopologyTimeoutError that names `what` and carries the last thrown error or `describe()`.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; describe?: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 100;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = options.describe?.() ?? (lastError instanceof Error ? lastError.message : '');
      throw new TopologyTimeoutError(
        `timed out after ${options.timeoutMs} ms waiting for ${what}${detail ? `: ${detail}` : ''}`,
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    await sleep(intervalMs);
  }
}
