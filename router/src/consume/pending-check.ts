import type { Logger } from 'pino';
import type { ChannelScheduler } from './channel-scheduler.js';
import type { ChannelState } from './channel-state.js';

/** What a {@link PendingCheck} needs of its consumer. */
export interface PendingCheckOptions {
  /** Entries idle this long in any member are taken over; checked every half of it. */
  claimIdleMs: number;
  scheduler: ChannelScheduler;
  /** Counts each check (`recio_consumer_sweeps_total{kind="redis"}`). */
  onCheck: () => void;
  logger: Logger;
}

/**
 * The fast half of the consumer's safety net, in Redis alone (it costs PostgreSQL nothing): every
 * `claimIdleMs / 2`, for each channel that may hold something (its doorbell rang, or it did not look
 * settled last time; every channel at start and after a lost pub/sub connection), asks Redis for the
 * group's state of its stream (XINFO GROUPS). A channel whose group holds an entry idle for
 * `claimIdleMs` (a dead or stuck member's) is marked claimable and woken, so a crashed member's entries
 * are taken over within about 1.5 × `claimIdleMs`; one with entries not yet delivered to any member (a
 * lost doorbell) is woken to read them. A channel with nothing pending and nothing unread is settled
 * and not asked about again until its doorbell rings: an idle member sends Redis nothing either.
 * What only PostgreSQL knows (a head past the offset with nothing in Redis) is the Sweep's.
 */
export class PendingCheck {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(private readonly o: PendingCheckOptions) {}

  /** Checks every `claimIdleMs / 2` until stopped. */
  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.check().finally(() => this.#schedule()), this.o.claimIdleMs / 2);
  }

  /** One check of every unsettled channel (pipelined: the client batches the commands). */
  async check(): Promise<void> {
    const states = [...this.o.scheduler.states()].filter((s) => s.unsettled && s.groupReady);
    if (states.length === 0) return;
    this.o.onCheck();
    await Promise.all(states.map((s) => this.#checkOne(s)));
  }

  async #checkOne(state: ChannelState): Promise<void> {
    try {
      const info = await state.stream.groupInfo();
      if (!info) {
        state.groupReady = false; // Redis lost the group: the drain creates it again
        this.o.scheduler.wake(state);
        return;
      }
      if (info.pending > 0) {
        // Entries a live member is working on only keep the channel unsettled, for the next check;
        // entries idle past claimIdleMs (a dead or stuck member's) are claimed by a drain.
        if (await state.stream.hasIdlePending(this.o.claimIdleMs)) {
          state.claimable = true;
          this.o.scheduler.wake(state);
        }
        return;
      }
      state.unsettled = false;
      // Entries no member was given (a lost doorbell), or a lag Redis cannot tell: one read finds out.
      if (info.lag !== 0) this.o.scheduler.wake(state);
    } catch (err) {
      // The stream itself is gone (Redis lost it) or Redis is away: the drain finds out which.
      this.o.logger.debug({ err, channel: state.channel }, 'pending check failed; waking the channel');
      this.o.scheduler.wake(state);
    }
  }
}
