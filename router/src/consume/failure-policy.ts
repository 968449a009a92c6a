import { backoffDelay, channelClass, type BackoffPolicy } from '@recio/contract';
import type { Logger } from 'pino';
import type { Applier } from './applier.js';
import type { ChannelState } from './channel-state.js';
import type { ConsumerMetrics } from './consumer-metrics.js';
import type { ResolvedConsumeOptions } from './consumer-options.js';
import type { DeadLetters } from './dead-letters.js';
import { DeliveryFailure, type Delivery } from './deliveries.js';

/**
 * What happens when applying fails (invariant 7). A batch with a failing event is applied again one
 * event at a time, so the others still take effect; the failing one is retried with backoff while
 * its channel waits (order), until `maxDeliveries` — or at once when it is not a valid event — it
 * goes to the dead letters and the channel moves on. An infrastructure error (PostgreSQL or Redis
 * away) holds the whole batch for a second and is thrown to the reader.
 */
export class FailurePolicy {
  readonly #retry: BackoffPolicy;

  constructor(
    private readonly applier: Applier,
    private readonly deadLetters: DeadLetters,
    private readonly o: ResolvedConsumeOptions,
    private readonly metrics: ConsumerMetrics,
    private readonly logger: Logger,
  ) {
    // Equal jitter: a retry never comes much sooner than planned (the delay is the handler's breather).
    this.#retry = { baseMs: o.retryBaseMs, maxMs: o.retryMaxMs, jitter: 'equal' };
  }

  /**
   * Applies deliveries of the channel; what cannot be applied now is left in `state.held`. `owned`:
   * see Applier.apply (a run that is not this member's never fails).
   */
  async apply(state: ChannelState, deliveries: Delivery[], owned: Promise<boolean> | null = null): Promise<void> {
    try {
      try {
        await this.applier.apply(state.channel, deliveries, owned);
        return;
      } catch (error) {
        if (!(error instanceof DeliveryFailure) || deliveries.length === 1) throw error;
      }
      for (let i = 0; i < deliveries.length; i++) {
        try {
          await this.applier.apply(state.channel, [deliveries[i]!]);
        } catch (error) {
          if (!(error instanceof DeliveryFailure)) throw error;
          return await this.#failed(state, error, deliveries.slice(i));
        }
      }
    } catch (error) {
      if (error instanceof DeliveryFailure) return await this.#failed(state, error, deliveries);
      state.held = { deliveries, at: Date.now() + 1_000 };
      throw error;
    }
  }

  async #failed(state: ChannelState, failure: DeliveryFailure, rest: Delivery[]): Promise<void> {
    const d = failure.delivery;
    this.metrics.events.inc({ group: this.o.group, class: channelClass(state.channel), outcome: 'failed' });
    if (failure.invalid || d.deliveries >= this.o.maxDeliveries) {
      await this.deadLetters.record(failure);
      const after = rest.filter((r) => r !== d);
      if (after.length > 0) state.held = { deliveries: after, at: 0 };
      return;
    }
    const delay = backoffDelay(this.#retry, d.deliveries - 1);
    this.logger.warn(
      {
        channel: state.channel,
        seq: d.event.seq,
        event_id: d.event.event_id,
        deliveries: d.deliveries,
        retryInMs: delay,
        err: failure.cause,
      },
      'handler failed; retrying',
    );
    d.deliveries++;
    state.held = { deliveries: rest, at: Date.now() + delay };
  }
}
