import type { Logger } from 'pino';
import { errorCode } from '../errors.js';
import { sweepGroup } from '../sql/behind-channels.js';
import type { ChannelScheduler } from './channel-scheduler.js';
import type { ConsumerDeps } from './consumer-deps.js';
import type { ConsumerMetrics } from './consumer-metrics.js';
import type { ResolvedConsumeOptions } from './consumer-options.js';
import type { DeadLetters } from './dead-letters.js';
import { toLike } from './patterns.js';

/**
 * The slow half of the consumer's safety net, for what only PostgreSQL knows: every
 * `sweepIntervalMs`, one statement (no transaction) for the channels whose head is past the group's
 * offset and for requested re-drives. A channel found there twice at the same offset is stalled (its
 * events are not arriving: Redis lost or never got them, or a member holds them) and is woken to
 * recover; channels that move are left to their doorbells, so a busy sweep costs no reads. A dead
 * member's entries do not wait for this: PendingCheck finds them in Redis.
 * Re-drives run (in transactions of their own) only when one was asked for.
 */
export class Sweep {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly deps: Pick<ConsumerDeps, 'pool' | 'channels'>,
    private readonly o: ResolvedConsumeOptions,
    private readonly channels: { concrete: readonly string[]; patterns: readonly string[] },
    private readonly scheduler: ChannelScheduler,
    private readonly deadLetters: DeadLetters,
    private readonly metrics: ConsumerMetrics,
    private readonly logger: Logger,
  ) {}

  /** Sweeps now, then every `sweepIntervalMs` until stopped. */
  start(): void {
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#sweep().then(() => this.#schedule(this.o.sweepIntervalMs)), ms);
  }

  async #sweep(): Promise<void> {
    const { group } = this.o;
    try {
      const likes = this.channels.patterns.map(toLike);
      this.metrics.sweeps.inc({ group, kind: 'postgres' });
      const found = await sweepGroup(this.deps.pool, group, this.channels.concrete, likes, 10_000);
      const seen = new Set(found.behind.map((b) => b.channel));
      for (const s of this.scheduler.states()) {
        if (!seen.has(s.channel)) {
          s.stalled = false;
          s.sweptApplied = undefined;
        }
      }
      for (const b of found.behind) {
        const state = this.scheduler.track(b.channel);
        state.stalled = b.applied === null || state.sweptApplied === b.applied;
        state.sweptApplied = b.applied;
        if (state.stalled) this.scheduler.wake(state);
      }
      if (found.redriveRequested) {
        const redriven = await this.deadLetters.redrive();
        if (redriven > 0) this.logger.info({ redriven }, 're-drove dead letters on request');
      }
    } catch (error) {
      this.logger.warn({ err: error, code: errorCode(error) }, 'consumer sweep failed');
    }
  }
}
