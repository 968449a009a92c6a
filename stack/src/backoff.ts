import { backoffDelay } from '@recio/contract';

/** Settings of the restart delay of one crashing process. */
export interface BackoffSettings {
  /** First delay, and the delay again after a long enough run. */
  readonly initialMs: number;
  /** Ceiling of the doubling. */
  readonly maxMs: number;
  /** A run at least this long counts as healthy: the next delay starts from `initialMs` again. */
  readonly resetAfterMs: number;
}

/**
 * Restart delays of one process: `initialMs`, doubling on each crash up to `maxMs`, back to
 * `initialMs` once the process had stayed up `resetAfterMs` before it exited. Pure (uptime is
 * passed in) so the rule is unit-tested without clocks.
 */
export class Backoff {
  private readonly settings: BackoffSettings;
  /** Crashes since the last healthy run. */
  private crashes = 0;

  constructor(settings: BackoffSettings) {
    this.settings = settings;
  }

  /** The delay before restarting a process that exited after running `uptimeMs`. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.settings.resetAfterMs) this.crashes = 0;
    return backoffDelay({ baseMs: this.settings.initialMs, maxMs: this.settings.maxMs }, this.crashes++);
  }

  /** Forgets earlier crashes (a deliberate restart is not a crash). */
  reset(): void {
    this.crashes = 0;
  }
}
