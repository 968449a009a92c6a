import type { Logger } from 'pino';
import { errorCode } from '../errors.js';
import { behindChannels } from '../sql/behind-channels.js';
import type { ChannelScheduler } from './channel-scheduler.js';
import type { ConsumerDeps } from './consumer-deps.js';
import type { ResolvedConsumeOptions } from './consumer-options.js';
import type { DeadLetters } from './dead-letters.js';
import { toLike } from './patterns.js';

/**
 * The consumer's safety net, every `sweepIntervalMs`: one query for channels whose head is past the
 * group's offset. A channel found there twice at the same offset is stalled (its events are not
 * arriving: a dead member holds them, or Redis lost them) and is woken to recover; channels that move
 * are left to their doorbells, so a busy sweep costs no reads. Also re-drives requested dead letters.
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
    this.#timer = setTimeout(() => void this.#sweep(), ms);
  }

  async #sweep(): Promise<void> {
    try {
      const { group } = this.o;
      const likes = this.channels.patterns.map(toLike);
      const behind = await behindChannels(this.deps.pool, group, this.channels.concrete, likes, 10_000);
      const seen = new Set(behind.map((b) => b.channel));
      for (const s of this.scheduler.states()) {
        if (!seen.has(s.channel)) {
          s.stalled = false;
          s.sweptApplied = undefined;
        }
      }
      for (const b of behind) {
        const state = this.scheduler.track(b.channel);
        state.stalled = b.applied === null || state.sweptApplied === b.applied;
        state.sweptApplied = b.applied;
        if (state.stalled) this.scheduler.wake(state);
      }
      // Latest-value channels have no offset to compare: entries pending in the group (a member
      // died holding them) are what can be stuck; Recovery claims those idle past claimIdleMs.
      for (const s of this.scheduler.states()) {
        if (!s.groupReady || !this.deps.channels.isLatest(s.channel)) continue;
        s.stalled = (await s.stream.pendingCount().catch(() => 0)) > 0;
        if (s.stalled) this.scheduler.wake(s);
      }
      const redriven = await this.deadLetters.redrive();
      if (redriven > 0) this.logger.info({ redriven }, 're-drove dead letters on request');
    } catch (error) {
      this.logger.warn({ err: error, code: errorCode(error) }, 'consumer sweep failed');
    }
    this.#schedule(this.o.sweepIntervalMs);
  }
}
