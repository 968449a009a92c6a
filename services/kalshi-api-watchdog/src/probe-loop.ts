import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';

/** Options of {@link ProbeLoop}. */
export interface ProbeLoopOptions {
  /** One probe; its failures are logged, never thrown out of the loop. */
  run: (signal: AbortSignal) => Promise<void>;
  /** From the start of one run to the start of the next. */
  intervalMs: number;
  logger: Logger;
}

/**
 * Runs a probe now and then every `intervalMs`, never two at once: the next run is scheduled
 * when the previous one ends, `intervalMs` after it started (at once if it took longer), so a
 * slow exchange stretches the schedule instead of piling probes onto it.
 */
export class ProbeLoop {
  readonly #o: ProbeLoopOptions;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> = Promise.resolve();
  #started = false;
  #closing: Promise<void> | undefined;

  constructor(options: ProbeLoopOptions) {
    if (!(Number.isFinite(options.intervalMs) && options.intervalMs > 0))
      throw new RangeError(`option intervalMs: must be > 0, got ${options.intervalMs}`);
    this.#o = options;
  }

  /** Starts the loop (the first run is now). */
  start(): void {
    if (this.#started || this.#closing) return;
    this.#started = true;
    this.#tick();
  }

  /** Stops scheduling, aborts the running probe and waits for it. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearTimeout(this.#timer);
      this.#abort.abort();
      await this.#current;
    })();
    return this.#closing;
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#closing) return;
    const started = performance.now();
    this.#current = this.#o
      .run(this.#abort.signal)
      .catch((err: unknown) => {
        if (!this.#abort.signal.aborted) this.#o.logger.error({ err }, 'probe failed');
      })
      .finally(() => {
        if (this.#closing) return;
        const wait = Math.max(0, this.#o.intervalMs - (performance.now() - started));
        this.#timer = setTimeout(() => this.#tick(), wait);
      });
  }
}
