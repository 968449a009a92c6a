import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

// Sub-millisecond to seconds: commit → appended is ~0.1–2 ms when healthy, seconds when
// the relay repairs after an outage.
const LATENCY_BUCKETS = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The router's publish-side metrics, registered once per registry. Labels carry the channel
 * class (`trades`, `prices`, …), never a full channel: per-user labels explode cardinality.
 */
export class RouterMetrics {
  /** Events committed to event_log. */
  readonly eventsPublished: Counter<'class'>;
  /** Commit → appended to the stream, by who appended it (publisher fast path or relay). */
  readonly publishLatency: Histogram<'class' | 'path'>;
  /** Append script outcomes. */
  readonly appendOutcomes: Counter<'class' | 'path' | 'outcome'>;
  /** Events committed in PostgreSQL but not in Redis, as last seen by the relay. */
  readonly unpropagated: Gauge<'class'>;
  /** Redis command failures, by operation. */
  readonly redisErrors: Counter<'op' | 'code'>;
  /** PostgreSQL failures, by operation (a failed publish transaction is a "confirm failure"). */
  readonly pgErrors: Counter<'op' | 'code'>;
  /** Relay sweeps, by kind (full, incremental). */
  readonly relaySweeps: Counter<'kind'>;
  /** 1 while this process holds the relay leader lock. */
  readonly relayLeader: Gauge;
  /** Events deleted by retention. */
  readonly retentionDeleted: Counter<'class'>;
  /** Stream entries removed from above their channel's committed head (a forged or foreign XADD). */
  readonly entriesAhead: Counter<'class'>;
  /** 1 while the router's Redis client is connected and ready. */
  readonly redisConnected: Gauge;
  /** Redis command latency (send → reply), by command; blocking reads left out. */
  readonly redisCommandSeconds: Histogram<'command'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.eventsPublished = getOrCreate(
      registry,
      'recio_events_published_total',
      () =>
        new Counter({
          name: 'recio_events_published_total',
          help: 'Events committed to event_log',
          labelNames: ['class'],
          registers,
        }),
    );
    this.publishLatency = getOrCreate(
      registry,
      'recio_publish_latency_seconds',
      () =>
        new Histogram({
          name: 'recio_publish_latency_seconds',
          help: 'Commit to appended-in-Redis latency',
          labelNames: ['class', 'path'],
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    );
    this.appendOutcomes = getOrCreate(
      registry,
      'recio_append_outcomes_total',
      () =>
        new Counter({
          name: 'recio_append_outcomes_total',
          help: 'Append script outcomes',
          labelNames: ['class', 'path', 'outcome'],
          registers,
        }),
    );
    this.unpropagated = getOrCreate(
      registry,
      'recio_unpropagated_events',
      () =>
        new Gauge({
          name: 'recio_unpropagated_events',
          help: 'Events in PostgreSQL not yet in Redis (relay view)',
          labelNames: ['class'],
          registers,
        }),
    );
    this.redisErrors = getOrCreate(
      registry,
      'recio_redis_errors_total',
      () =>
        new Counter({
          name: 'recio_redis_errors_total',
          help: 'Redis command failures',
          labelNames: ['op', 'code'],
          registers,
        }),
    );
    this.pgErrors = getOrCreate(
      registry,
      'recio_pg_errors_total',
      () =>
        new Counter({
          name: 'recio_pg_errors_total',
          help: 'PostgreSQL failures',
          labelNames: ['op', 'code'],
          registers,
        }),
    );
    this.relaySweeps = getOrCreate(
      registry,
      'recio_relay_sweeps_total',
      () =>
        new Counter({
          name: 'recio_relay_sweeps_total',
          help: 'Relay comparisons of PostgreSQL heads with Redis',
          labelNames: ['kind'],
          registers,
        }),
    );
    this.relayLeader = getOrCreate(
      registry,
      'recio_relay_leader',
      () => new Gauge({ name: 'recio_relay_leader', help: '1 while this process is the active relay', registers }),
    );
    this.redisConnected = getOrCreate(
      registry,
      'recio_redis_connected',
      () =>
        new Gauge({
          name: 'recio_redis_connected',
          help: "1 while the router's Redis client is connected and ready",
          registers,
        }),
    );
    this.redisCommandSeconds = getOrCreate(
      registry,
      'recio_redis_command_seconds',
      () =>
        new Histogram({
          name: 'recio_redis_command_seconds',
          help: 'Redis command latency, send to reply, by command (blocking reads left out)',
          labelNames: ['command'],
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    );
    this.entriesAhead = getOrCreate(
      registry,
      'recio_stream_entries_ahead_total',
      () =>
        new Counter({
          name: 'recio_stream_entries_ahead_total',
          help: 'Stream entries found above the channel head in PostgreSQL and removed by the relay',
          labelNames: ['class'],
          registers,
        }),
    );
    this.retentionDeleted = getOrCreate(
      registry,
      'recio_retention_deleted_total',
      () =>
        new Counter({
          name: 'recio_retention_deleted_total',
          help: 'Events deleted by retention',
          labelNames: ['class'],
          registers,
        }),
    );
  }
}

// Several routers in one process (tests, a service with two roles) share one registry.
function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}
