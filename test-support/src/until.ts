import { waitFor } from '@recio/topology';

/** Options of {@link until}. */
export interface UntilOptions {
  /** Give up after this long. @defaultValue 20000 */
  timeoutMs?: number;
  /** Pause between checks. @defaultValue 20 */
  intervalMs?: number;
}

/**
 * Waits on a condition instead of sleeping: calls `check` until it returns a value other than
 * undefined, null or false (a throw counts as "not yet") and resolves to that value. After
 * `timeoutMs` it rejects with an error naming `what` and the last error seen.
 */
export function until<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: UntilOptions = {},
): Promise<T> {
  return waitFor(
    what,
    async () => {
      const value = await check();
      return value === null || value === false ? undefined : value;
    },
    { timeoutMs: options.timeoutMs ?? 20_000, intervalMs: options.intervalMs ?? 20 },
  );
}
