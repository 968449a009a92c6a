/** `realtime`: simulated time runs with the wall clock (× speed); `stepped`: only `advance` moves it. */
export type ClockMode = 'realtime' | 'stepped';

/** Options of the simulated clock. */
export interface SimClockOptions {
  mode: ClockMode;
  /** Simulated time at start (ms). */
  startMs: number;
  /** Simulated seconds per wall second in realtime mode. @defaultValue 1 */
  speed?: number;
  /** Wall clock (ms), injectable for tests. @defaultValue Date.now */
  wallNow?: () => number;
}

/** Error for an operation the current clock mode does not allow. */
export class ClockModeError extends Error {
  readonly code = 'clock_not_stepped';
}

/** The simulated clock. The wall clock is used only here and for signature windows. */
export class SimClock {
  readonly mode: ClockMode;
  readonly startMs: number;
  readonly speed: number;
  private readonly wallNow: () => number;
  private readonly wallStart: number;
  private steppedMs = 0;

  constructor(options: SimClockOptions) {
    if (!Number.isFinite(options.startMs)) throw new RangeError('option startMs: must be a finite time');
    const speed = options.speed ?? 1;
    if (!(speed > 0 && Number.isFinite(speed))) throw new RangeError('option speed: must be > 0');
    this.mode = options.mode;
    this.startMs = options.startMs;
    this.speed = speed;
    this.wallNow = options.wallNow ?? Date.now;
    this.wallStart = this.wallNow();
  }

  /** Simulated now, in ms. */
  now(): number {
    if (this.mode === 'stepped') return this.startMs + this.steppedMs;
    return this.startMs + Math.floor((this.wallNow() - this.wallStart) * this.speed);
  }

  /** Moves a stepped clock forward; returns the new simulated now. */
  advance(seconds: number): number {
    if (this.mode !== 'stepped') throw new ClockModeError('the clock is realtime; only a stepped clock advances');
    if (!(seconds >= 0 && Number.isFinite(seconds))) throw new RangeError('seconds must be >= 0');
    this.steppedMs += Math.round(seconds * 1000);
    return this.now();
  }
}
