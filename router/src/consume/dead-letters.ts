import { channelClass, DEAD_LETTER_NOTICE, HEALTH_CHANNEL, type DeadLetterNotice } from '@recio/contract';
import type { Logger } from 'pino';
import { dlqKey } from '../channels.js';
import { errorCode, RecioError } from '../errors.js';
import type { RecioEvent } from '../event.js';
import { advanceOffset, lockOffset } from '../sql/consumer-offset.js';
import { claimRedrives, insertDeadLetter, markRedriven } from '../sql/dead-letter.js';
import type { Applier } from './applier.js';
import type { ConsumerDeps } from './consumer-deps.js';
import type { ConsumerMetrics } from './consumer-metrics.js';
import type { ResolvedConsumeOptions } from './consumer-options.js';
import type { DeliveryFailure } from './deliveries.js';

/**
 * A group's dead letters (invariant 7): giving up on an event for good, and running the handler on
 * one again when someone asks (`recio dlq replay`).
 */
export class DeadLetters {
  constructor(
    private readonly deps: Pick<ConsumerDeps, 'redis' | 'transaction' | 'replay' | 'channels'>,
    private readonly applier: Applier,
    private readonly o: ResolvedConsumeOptions,
    private readonly metrics: ConsumerMetrics,
    private readonly logger: Logger,
  ) {}

  /**
   * Gives up on a delivery: records the dead letter, moves the group's offset past it (a
   * dead-lettered event is skipped in the group's order, so later events are not blocked),
   * raises a system:health event, then copies it to dlq:{<channel>} and acknowledges it. A dead
   * letter of a dead-letter notice raises none: a group failing on notices would otherwise feed
   * itself one more notice per dead letter, forever.
   */
  async record(failure: DeliveryFailure): Promise<void> {
    const { event, deliveries } = failure.delivery;
    const reason = failure.cause instanceof Error ? failure.cause.message : String(failure.cause);
    const code = failure.invalid
      ? 'EVENT_INVALID'
      : errorCode(failure.cause) === 'UNKNOWN'
        ? 'HANDLER_FAILED'
        : errorCode(failure.cause);
    if (this.deps.channels.isLatest(event.channel)) {
      // Latest-value data has no place in the group's order to skip and no history to re-drive
      // from: a newer value supersedes it. Counted (RecioDeadLetters fires), logged, acknowledged.
      this.metrics.events.inc({ group: this.o.group, class: channelClass(event.channel), outcome: 'dead_lettered' });
      this.logger.error(
        { channel: event.channel, seq: event.seq, event_id: event.event_id, deliveries, code, err: failure.cause },
        'latest-value event given up (no dead-letter row: a newer value supersedes it)',
      );
      await this.applier.acknowledge(event.channel, [failure.delivery]);
      return;
    }
    const { value: recorded } = await this.deps.transaction(async (tx) => {
      const { applied } = await lockOffset(tx.client, this.o.group, event.channel);
      if (event.seq <= applied) return false; // another member applied or dead-lettered it meanwhile
      if (event.seq !== applied + 1)
        throw new RecioError('OUT_OF_ORDER', `dead letter of seq ${event.seq} before ${applied + 1}`);
      await insertDeadLetter(tx.client, {
        group_name: this.o.group,
        event_id: event.event_id,
        channel: event.channel,
        seq: event.seq,
        type: event.type,
        deliveries,
        error_code: code,
        error: reason,
      });
      await advanceOffset(tx.client, this.o.group, event.channel, event.seq);
      const notice: DeadLetterNotice = {
        group: this.o.group,
        consumer: this.o.consumer,
        channel: event.channel,
        seq: event.seq,
        event_id: event.event_id,
        type: event.type,
        deliveries,
        error_code: code,
        error: reason.slice(0, 500),
      };
      if (!isDeadLetterNotice(event)) tx.publish(HEALTH_CHANNEL, DEAD_LETTER_NOTICE, notice);
      return true;
    });
    if (recorded) {
      this.metrics.events.inc({ group: this.o.group, class: channelClass(event.channel), outcome: 'dead_lettered' });
      this.logger.warn(
        { channel: event.channel, seq: event.seq, event_id: event.event_id, deliveries, err: failure.cause },
        'event dead-lettered',
      );
      await this.#copyToStream(event, deliveries, code, reason);
    }
    await this.applier.acknowledge(event.channel, [failure.delivery]);
  }

  /** Runs the handler again on dead letters someone asked to re-drive (`recio dlq replay`); returns how many. */
  async redrive(): Promise<number> {
    let done = 0;
    for (;;) {
      const { value } = await this.deps.transaction(async (tx) => {
        const [letter] = await claimRedrives(tx.client, this.o.group, 1);
        if (!letter) return false;
        const page = await this.deps.replay(letter.channel, { sinceSeq: letter.seq, limit: 1 }, { tx });
        const event = page.events[0];
        if (event && event.event_id === letter.event_id) {
          await this.applier.handle(tx, { event, id: null, deliveries: letter.deliveries + 1 });
        }
        await markRedriven(tx.client, letter.id);
        this.metrics.events.inc({ group: this.o.group, class: channelClass(letter.channel), outcome: 'redriven' });
        return true;
      });
      if (!value) return done;
      done++;
    }
  }

  // The dlq:{<channel>} stream: a look at recent dead letters from Redis; the dead_letter row is the record.
  async #copyToStream(event: RecioEvent, deliveries: number, code: string, reason: string): Promise<void> {
    await this.deps.redis
      .xadd(
        dlqKey(event.channel),
        'MAXLEN',
        '~',
        '10000',
        '*',
        'group',
        this.o.group,
        'event_id',
        event.event_id,
        'seq',
        String(event.seq),
        'type',
        event.type,
        'deliveries',
        String(deliveries),
        'error_code',
        code,
        'error',
        reason.slice(0, 4_000),
        'data',
        JSON.stringify(event.data),
      )
      .catch((err: unknown) =>
        this.logger.warn({ err, channel: event.channel }, 'dlq stream append failed; the dead_letter row stands'),
      );
  }
}

/** Whether an event is the router's own dead-letter notice. */
function isDeadLetterNotice(event: RecioEvent): boolean {
  return event.channel === HEALTH_CHANNEL && event.type === DEAD_LETTER_NOTICE;
}
