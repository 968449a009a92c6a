import type { Logger } from 'pino';
import { dlqKey, streamKey } from '../channels.js';
import { errorCode, RecioError, ReplayExpiredError } from '../errors.js';
import type { RecioEvent } from '../event.js';
import type { EventRouter } from '../router.js';
import type { Transaction } from '../transaction.js';
import { advanceOffset, lockOffset } from '../sql/consumer-offset.js';
import { claimRedrives, insertDeadLetter, markRedriven } from '../sql/dead-letter.js';
import type { ConsumerMetrics } from './consumer-metrics.js';
import type { ResolvedConsumeOptions } from './consumer-options.js';

/** An event handed to the group: its stream entry id (null when read from PostgreSQL) and delivery count. */
export interface Delivery {
  event: RecioEvent;
  id: string | null;
  deliveries: number;
  /** Set when the entry could not be decoded: it is dead-lettered when its turn comes. */
  invalid?: unknown;
}

/** The handler (or validation) failed on one delivery; nothing of its batch was applied. */
export class DeliveryFailure extends RecioError {
  constructor(
    readonly delivery: Delivery,
    readonly invalid: boolean,
    cause: unknown,
  ) {
    super(
      invalid ? 'EVENT_INVALID' : 'HANDLER_FAILED',
      `${invalid ? 'validation' : 'handler'} failed on ${delivery.event.channel} seq ${delivery.event.seq}: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}

/** What applying a run did. */
export interface ApplyResult {
  applied: number;
  duplicates: number;
}

/**
 * Applies a channel's events for one group exactly once and in order (invariant 7): in one
 * transaction it locks the group's offset row, drops what is at or below it (duplicates),
 * fills any hole from replay (Redis or PostgreSQL), runs the handler on each event and moves
 * the offset; after COMMIT the entries are acknowledged.
 */
export class Applier {
  constructor(
    private readonly router: EventRouter,
    private readonly o: ResolvedConsumeOptions<unknown>,
    private readonly metrics: ConsumerMetrics,
    private readonly logger: Logger,
    private readonly signal: AbortSignal,
  ) {}

  /** Applies `deliveries` (one channel, ascending seq). Throws DeliveryFailure, or infrastructure errors. */
  async apply(channel: string, deliveries: readonly Delivery[]): Promise<ApplyResult> {
    const cls = this.router.channels.classOf(channel);
    const { value } = await this.router.transaction(
      async (tx) => {
        const applied = await lockOffset(tx.client, this.o.group, channel);
        const fresh = deliveries.filter((d) => d.event.seq > applied);
        if (fresh.length === 0) return { applied: 0, duplicates: deliveries.length, last: applied };
        const run = await this.#complete(tx, channel, applied + 1, fresh);
        for (const d of run) {
          this.metrics.deliveryLag.observe(
            { group: this.o.group, class: cls },
            Math.max(0, Date.now() - d.event.ts) / 1000,
          );
          if (d.invalid !== undefined) throw new DeliveryFailure(d, true, d.invalid);
          try {
            this.o.validate?.(d.event);
          } catch (cause) {
            throw new DeliveryFailure(d, true, cause);
          }
          const end = this.metrics.handlerDuration.startTimer({ group: this.o.group, class: cls });
          try {
            await this.o.handler(d.event, { tx, signal: this.signal, deliveries: d.deliveries });
          } catch (cause) {
            throw new DeliveryFailure(d, false, cause);
          } finally {
            end();
          }
        }
        const last = run.at(-1)!.event.seq;
        await advanceOffset(tx.client, this.o.group, channel, last);
        return { applied: run.length, duplicates: deliveries.length - fresh.length, last };
        // Relaxed: if PostgreSQL crashed and lost this commit, the effects and the offset would be
        // lost together and the stalled channel applied again from replay (exactly once holds).
        // A handler that publishes events gets a flushed commit (see TransactionOptions).
      },
      { relaxedCommit: true },
    );
    await this.#ack(channel, deliveries);
    this.metrics.events.inc({ group: this.o.group, class: cls, outcome: 'applied' }, value.applied);
    if (value.duplicates > 0)
      this.metrics.events.inc({ group: this.o.group, class: cls, outcome: 'duplicate' }, value.duplicates);
    return { applied: value.applied, duplicates: value.duplicates };
  }

  /**
   * Gives up on a delivery: records the dead letter, moves the group's offset past it (a
   * dead-lettered event is skipped in the group's order, so later events are not blocked),
   * raises a system:health event, then copies it to dlq:{<channel>} and acknowledges it.
   */
  async deadLetter(failure: DeliveryFailure): Promise<void> {
    const { event, id, deliveries } = failure.delivery;
    const reason = failure.cause instanceof Error ? failure.cause.message : String(failure.cause);
    const code = failure.invalid
      ? 'EVENT_INVALID'
      : errorCode(failure.cause) === 'UNKNOWN'
        ? 'HANDLER_FAILED'
        : errorCode(failure.cause);
    const { value: recorded } = await this.router.transaction(async (tx) => {
      const applied = await lockOffset(tx.client, this.o.group, event.channel);
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
      tx.publish('system:health', 'consumer.dead_letter', {
        group: this.o.group,
        consumer: this.o.consumer,
        channel: event.channel,
        seq: event.seq,
        event_id: event.event_id,
        type: event.type,
        deliveries,
        error_code: code,
        error: reason.slice(0, 500),
      });
      return true;
    });
    const cls = this.router.channels.classOf(event.channel);
    if (recorded) {
      this.metrics.events.inc({ group: this.o.group, class: cls, outcome: 'dead_lettered' });
      this.logger.warn(
        {
          group: this.o.group,
          channel: event.channel,
          seq: event.seq,
          event_id: event.event_id,
          deliveries,
          err: failure.cause,
        },
        'event dead-lettered',
      );
      await this.router.redis
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
    if (id !== null) await this.#ack(event.channel, [failure.delivery]);
  }

  /** Runs the handler again on dead letters someone asked to re-drive (`recio dlq replay`). */
  async redrive(): Promise<number> {
    let done = 0;
    for (;;) {
      const { value } = await this.router.transaction(async (tx) => {
        const [letter] = await claimRedrives(tx.client, this.o.group, 1);
        if (!letter) return false;
        const page = await this.router.replay(letter.channel, { sinceSeq: letter.seq, limit: 1 }, { tx });
        const event = page.events[0];
        if (event && event.event_id === letter.event_id) {
          this.o.validate?.(event);
          await this.o.handler(event, { tx, signal: this.signal, deliveries: letter.deliveries + 1 });
        }
        await markRedriven(tx.client, letter.id);
        this.metrics.events.inc({
          group: this.o.group,
          class: this.router.channels.classOf(letter.channel),
          outcome: 'redriven',
        });
        return true;
      });
      if (!value) return done;
      done++;
    }
  }

  async #ack(channel: string, deliveries: readonly Delivery[]): Promise<void> {
    const ids = deliveries.flatMap((d) => (d.id === null ? [] : [d.id]));
    if (ids.length === 0) return;
    // A lost ack only means a redelivery, which the offset turns into a counted duplicate.
    await this.router.redis
      .xack(streamKey(channel), this.o.group, ...ids)
      .catch((err: unknown) => this.logger.warn({ err, channel }, 'XACK failed'));
  }

  /** `fresh` preceded and interleaved by whatever is missing from `from` on, read by replay. */
  // Reads go through the transaction's own connection: a transaction that waited for a second
  // pool connection while holding its own could starve the pool (regression: 3 members, 50 channels).
  async #complete(tx: Transaction, channel: string, from: number, fresh: readonly Delivery[]): Promise<Delivery[]> {
    const out: Delivery[] = [];
    let expected = from;
    for (const d of fresh) {
      if (d.event.seq > expected) out.push(...(await this.#fetch(tx, channel, expected, d.event.seq - 1)));
      out.push(d);
      expected = d.event.seq + 1;
    }
    return out;
  }

  async #fetch(tx: Transaction, channel: string, from: number, to: number): Promise<Delivery[]> {
    const out: Delivery[] = [];
    let since = from;
    while (since <= to) {
      let page;
      try {
        page = await this.router.replay(channel, { sinceSeq: since, limit: Math.min(1_000, to - since + 1) }, { tx });
      } catch (error) {
        if (!(error instanceof ReplayExpiredError) || error.earliestSeq === null) throw error;
        // Retention deleted them (a group away for longer than the class keeps): go on from the earliest kept.
        this.logger.warn(
          { group: this.o.group, channel, from: since, earliest: error.earliestSeq },
          'events expired before this group applied them',
        );
        since = error.earliestSeq;
        continue;
      }
      if (page.events.length === 0) break;
      for (const event of page.events) if (event.seq <= to) out.push({ event, id: null, deliveries: 1 });
      since = page.next;
    }
    return out;
  }
}
