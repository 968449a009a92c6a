import type { Logger } from 'pino';
import type { HealthController, Leadership } from './controller.js';

/** The controller's rounds, each on its own timer. */
export type RoundName = 'evaluation' | 'sweep';

/** Options of a {@link ControllerLoop}. */
export interface ControllerLoopOptions {
  controller: Pick<HealthController, 'evaluate' | 'sweep' | 'stepDown'>;
  leadership: Pick<Leadership, 'tryAcquire'>;
  logger: Logger;
  sampleIntervalMs: number;
  sweepIntervalMs: number;
  /** An evaluation running longer than this makes the replica give leadership up until it ends. */
  roundDeadlineMs: number;
  /** Renew leadership this often besides the rounds (a Lease lapses unless renewed). @defaultValue never */
  renewEveryMs?: number;
}

/** A round under way. */
interface Round {
  done: Promise<void>;
  startedAt: number;
  /** Whether leadership was given up for it. */
  overdue: boolean;
}

// Deadlines run on the monotonic clock (a wall clock stepped by NTP must not make a round late).
const clock = () => performance.now();

/**
 * The controller's timers: an evaluation every `sampleIntervalMs`, a sweep every
 * `sweepIntervalMs` (a slow round delays its next one, never overlaps it), leadership renewed
 * every `renewEveryMs`, and a watchdog. An evaluation that has run longer than `roundDeadlineMs` (a
 * PostgreSQL or Redis query that never answers: the pool has no deadline of its own) makes the
 * replica give leadership up, renew nothing and start no round until it ends, and report itself
 * not live (`/healthz`, so the kubelet restarts it): without that, a replica stuck on a server that
 * does not answer would keep the Lease (renewed on its own timer) or its lock connection, and no
 * replica would act.
 */
export class ControllerLoop {
  readonly #o: ControllerLoopOptions;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #rounds = new Map<RoundName, Round>();
  /** Each timer's run under way (a round's is only its start; the watchdog's its renewal), awaited by close(). */
  readonly #running = new Set<Promise<void>>();

  constructor(options: ControllerLoopOptions) {
    this.#o = options;
  }

  /** Starts the timers. */
  start(): void {
    const { controller } = this.#o;
    this.#every(this.#o.sampleIntervalMs, () => this.#round('evaluation', () => controller.evaluate()));
    this.#every(this.#o.sweepIntervalMs, () => this.#round('sweep', () => controller.sweep()));
    const watchMs = this.#o.renewEveryMs ?? Math.min(1_000, this.#o.roundDeadlineMs / 4);
    this.#every(watchMs, () => this.#watch(), 'leadership renewal');
  }

  /**
   * The evaluation under way, if it has run longer than the deadline, and for how long. A sweep has
   * no deadline: one call per stream, its length grows with the channels (a healthy sweep over many
   * must not cost the lead), and a sweep stuck alone keeps no evaluation from leading.
   */
  overdue(): { round: RoundName; runningMs: number }[] {
    const now = clock();
    return [...this.#rounds]
      .filter(([round, r]) => round === 'evaluation' && now - r.startedAt > this.#o.roundDeadlineMs)
      .map(([round, r]) => ({ round, runningMs: Math.round(now - r.startedAt) }));
  }

  /** Whether the replica makes progress: no round overdue (`/healthz`). */
  get live(): boolean {
    return this.overdue().length === 0;
  }

  /**
   * Stops the timers and waits for what runs, each round at most until the deadline after its start:
   * an evaluation stuck past it has given leadership up, and the caller releases it next anyway (so
   * no round can act any more).
   */
  async close(): Promise<void> {
    for (const t of this.#timers.splice(0)) clearInterval(t);
    await Promise.all([
      ...this.#running,
      ...[...this.#rounds.values()].map((r) => {
        let timer: NodeJS.Timeout | undefined;
        const left = Math.max(0, r.startedAt + this.#o.roundDeadlineMs - clock());
        return Promise.race([r.done, new Promise((resolve) => (timer = setTimeout(resolve, left)))]).finally(() =>
          clearTimeout(timer),
        );
      }),
    ]);
  }

  #every(ms: number, run: () => Promise<void>, what?: string): void {
    let running: Promise<void> | undefined;
    this.#timers.push(
      setInterval(() => {
        if (running) return;
        running = run()
          .catch((err: unknown) => this.#o.logger.error({ err }, `${what ?? 'round'} failed`))
          .finally(() => {
            this.#running.delete(running!);
            running = undefined;
          });
        this.#running.add(running);
      }, ms),
    );
  }

  /** Starts `name` unless it runs already, or a round is overdue (it would take leadership back). */
  async #round(name: RoundName, run: () => Promise<unknown>): Promise<void> {
    if (this.#rounds.has(name) || this.overdue().length > 0) return;
    const round: Round = {
      done: run().then(
        () => undefined,
        (err: unknown) => this.#o.logger.error({ err }, `${name} failed`),
      ),
      startedAt: clock(),
      overdue: false,
    };
    this.#rounds.set(name, round);
    // The timer's next tick is free to check on it; the round itself is tracked here until it ends.
    void round.done.finally(() => this.#rounds.delete(name));
  }

  /** Gives leadership up for a round newly overdue; otherwise renews it (when renewals are due). */
  async #watch(): Promise<void> {
    const late = this.overdue();
    for (const { round, runningMs } of late) {
      const r = this.#rounds.get(round);
      if (!r || r.overdue) continue;
      r.overdue = true;
      await this.#o.controller.stepDown(round, runningMs);
    }
    if (late.length === 0 && this.#o.renewEveryMs !== undefined) await this.#o.leadership.tryAcquire();
  }
}
