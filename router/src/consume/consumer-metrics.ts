import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const LAG_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** How an event ended for a group. */
export const CONSUME_OUTCOMES = [
  'applied',
  'duplicate',
  'failed',
  'dead_lettered',
  'redriven',
  'ahead_of_head',
] as const;
export type ConsumeOutcome = (typeof CONSUME_OUTCOMES)[number];

/** Consumer metrics, labelled by group and channel class. */
export class ConsumerMetrics {
  /** Commit (event ts) → handler start. */
  readonly deliveryLag: Histogram<'group' | 'class'>;
  readonly handlerDuration: Histogram<'group' | 'class'>;
  readonly events: Counter<'group' | 'class' | 'outcome'>;
  readonly claims: Counter<'group' | 'class'>;
  /** Transactions whose offset check at COMMIT (ConsumeOptions.effects) refused: applied again, locked. */
  readonly checkRefusals: Counter<'group'>;
  /** Runs applied from the doorbell's message beside the group's read, by whether the read gave them to this member. */
  readonly earlyRuns: Counter<'group' | 'outcome'>;
  readonly inFlight: Gauge<'group'>;
  /** Safety-net checks: `postgres` (the sweep's one statement) and `redis` (the pending check). */
  readonly sweeps: Counter<'group' | 'kind'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const get = <T>(name: string, create: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? create();
    this.deliveryLag = get(
      'recio_consumer_delivery_lag_seconds',
      () =>
        new Histogram({
          name: 'recio_consumer_delivery_lag_seconds',
          help: 'Event commit to handler start',
          labelNames: ['group', 'class'],
          buckets: LAG_BUCKETS,
          registers,
        }),
    );
    this.handlerDuration = get(
      'recio_consumer_handler_seconds',
      () =>
        new Histogram({
          name: 'recio_consumer_handler_seconds',
          help: 'Handler run time',
          labelNames: ['group', 'class'],
          buckets: LAG_BUCKETS,
          registers,
        }),
    );
    this.events = get(
      'recio_consumer_events_total',
      () =>
        new Counter({
          name: 'recio_consumer_events_total',
          help: 'Events by outcome (duplicate = dropped, already applied)',
          labelNames: ['group', 'class', 'outcome'],
          registers,
        }),
    );
    this.claims = get(
      'recio_consumer_claims_total',
      () =>
        new Counter({
          name: 'recio_consumer_claims_total',
          help: 'Pending entries taken over from idle consumers',
          labelNames: ['group', 'class'],
          registers,
        }),
    );
    this.checkRefusals = get(
      'recio_consumer_offset_check_refusals_total',
      () =>
        new Counter({
          name: 'recio_consumer_offset_check_refusals_total',
          help: 'Transactions rolled back by the offset check at COMMIT (the offset had moved or was held by another member, or a run was above the committed head), then applied with the offset locked',
          labelNames: ['group'],
          registers,
        }),
    );
    this.earlyRuns = get(
      'recio_consumer_early_runs_total',
      () =>
        new Counter({
          name: 'recio_consumer_early_runs_total',
          help: "Runs whose transaction began on the doorbell's message, beside the group's read, by outcome: owned (the read delivered them to this member; applied), not_owned (the read gave them to another member, or found no such entry: rolled back)",
          labelNames: ['group', 'outcome'],
          registers,
        }),
    );
    this.inFlight = get(
      'recio_consumer_in_flight',
      () =>
        new Gauge({
          name: 'recio_consumer_in_flight',
          help: 'Events read and not yet finished',
          labelNames: ['group'],
          registers,
        }),
    );
    this.sweeps = get(
      'recio_consumer_sweeps_total',
      () =>
        new Counter({
          name: 'recio_consumer_sweeps_total',
          help: "Safety-net checks by kind: postgres (the sweep's one statement), redis (pending entries, PostgreSQL untouched)",
          labelNames: ['group', 'kind'],
          registers,
        }),
    );
  }

  /**
   * Every outcome of `group` on each of `classes` starts at 0: a dashboard shows "none" rather than
   * nothing, and `increase()` sees the first dead letter (a series born at 1 has no increase).
   */
  declare(group: string, classes: Iterable<string>): void {
    for (const c of classes) for (const outcome of CONSUME_OUTCOMES) this.events.inc({ group, class: c, outcome }, 0);
    this.checkRefusals.inc({ group }, 0);
    for (const outcome of ['owned', 'not_owned']) this.earlyRuns.inc({ group, outcome }, 0);
  }
}
