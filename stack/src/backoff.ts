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
  private nextMs: number;

  constructor(settings: BackoffSettings) {
    this.settings = settings;
    this.nextMs = settings.initialMs;
  }

  /** The delay before restarting a process that exited after running `uptimeMs`. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.settings.resetAfterMs) this.nextMs = this.settings.initialMs;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.nextMs * 2, this.settings.maxMs);
    return delay;
  }

  /** Forgets earlier crashes (a deliberate restart is not a crash). */
  reset(): void {
    this.nextMs = this.settings.initialMs;
  }
}
