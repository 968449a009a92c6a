import type { ChannelState } from './channel-state.js';

/** What a {@link ChannelScheduler} runs and within which limits. */
export interface ChannelSchedulerOptions {
  /** Channels drained at once. */
  concurrency: number;
  /** Whether another channel may start now (the consumer's in-flight bound: backpressure). */
  hasCapacity: () => boolean;
  /** Drains one channel; never rejects. */
  drain: (state: ChannelState) => Promise<void>;
  /** A new channel's state. */
  newState: (channel: string) => ChannelState;
}

/**
 * Who drains which channel when: channels run in parallel up to `concurrency`, each one
 * sequentially (a channel woken while it runs is drained once more afterwards), in the order they
 * were woken; a channel may ask to be woken later (a retry's delay).
 */
export class ChannelScheduler {
  readonly #o: ChannelSchedulerOptions;
  readonly #states = new Map<string, ChannelState>();
  readonly #queue: ChannelState[] = [];
  #active = 0;
  #stopped = false;
  #idle: (() => void) | undefined;

  constructor(options: ChannelSchedulerOptions) {
    this.#o = options;
  }

  /** The channels known so far. */
  get channels(): string[] {
    return [...this.#states.keys()];
  }

  /** The state of a known channel. */
  get(channel: string): ChannelState | undefined {
    return this.#states.get(channel);
  }

  /** Every known channel's state. */
  states(): IterableIterator<ChannelState> {
    return this.#states.values();
  }

  /** The state of `channel`, created on first sight. */
  track(channel: string): ChannelState {
    let state = this.#states.get(channel);
    if (!state) {
      state = this.#o.newState(channel);
      this.#states.set(channel, state);
    }
    return state;
  }

  /** Asks for a drain of the channel: now if there is room, else in turn. */
  wake(state: ChannelState): void {
    if (this.#stopped) return;
    if (state.running) {
      state.again = true;
      return;
    }
    if (!state.queued) {
      state.queued = true;
      this.#queue.push(state);
    }
    this.#pump();
  }

  wakeAll(): void {
    for (const s of this.#states.values()) this.wake(s);
  }

  /** Wakes the channel after `ms` (once: a channel with a timer set keeps it). */
  wakeLater(state: ChannelState, ms: number): void {
    if (state.timer || this.#stopped) return;
    state.timer = setTimeout(() => {
      state.timer = null;
      this.wake(state);
    }, ms);
    state.timer.unref?.();
  }

  /** Starts nothing more; resolves once the drains under way have ended. */
  stop(): Promise<void> {
    this.#stopped = true;
    for (const s of this.#states.values()) if (s.timer) clearTimeout(s.timer);
    this.#queue.length = 0;
    if (this.#active === 0) return Promise.resolve();
    return new Promise<void>((resolve) => (this.#idle = resolve));
  }

  #pump(): void {
    while (!this.#stopped && this.#active < this.#o.concurrency && this.#queue.length > 0 && this.#o.hasCapacity()) {
      const state = this.#queue.shift()!;
      state.queued = false;
      state.running = true;
      this.#active++;
      void this.#o.drain(state).finally(() => {
        state.running = false;
        this.#active--;
        if (state.again) {
          state.again = false;
          this.wake(state);
        }
        if (this.#active === 0) this.#idle?.();
        this.#pump();
      });
    }
  }
}
