import { Counter, Gauge, type Registry } from 'prom-client';

/** The controller's metrics (ARCHITECTURE "Observability"), labelled by group and channel class. */
export function controllerMetrics(registry: Registry) {
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  return {
    lag: gauge('recio_group_lag', 'Events committed on the channels a group reads that it has not applied', [
      'group',
      'class',
    ]),
    lagSeconds: gauge(
      'recio_group_lag_seconds',
      'Seconds since the oldest event a group has not applied committed (0 when caught up)',
      ['group', 'class'],
    ),
    pending: gauge(
      'recio_group_pending',
      'Entries delivered to a group and not acknowledged, on channels it is behind on',
      ['group', 'class'],
    ),
    state: gauge('recio_group_state', "A group's state over its window (1 for the current one)", ['group', 'state']),
    memberIdle: gauge(
      'recio_consumer_idle_seconds',
      'Seconds since a member last read, for members of a group on channels it is behind on',
      ['group', 'consumer'],
    ),
    stopped: gauge('recio_consumer_stopped', 'Members found STOPPED (holding work, idle past claimIdleMs, twice)', [
      'group',
      'consumer',
    ]),
    restarts: counter(
      'recio_controller_restarts_total',
      'Restarts of stopped consumers, by outcome (restarted; gone: its pod already gone or replaced; refused; failed)',
      ['group', 'outcome'],
    ),
    acked: new Counter({
      name: 'recio_controller_acked_total',
      help: 'Entries acknowledged for gone members (their events were already applied)',
      registers: [registry],
    }),
    deleted: new Counter({
      name: 'recio_controller_consumers_deleted_total',
      help: 'Gone members deleted (idle 10 × claimIdleMs, holding nothing)',
      registers: [registry],
    }),
    leader: new Gauge({ name: 'recio_controller_leader', help: '1 while this replica leads', registers: [registry] }),
    sampleErrors: new Counter({
      name: 'recio_controller_sample_errors_total',
      help: 'Samples that failed (Redis or PostgreSQL did not answer): no judgement, no action',
      registers: [registry],
    }),
    streamErrors: counter(
      'recio_controller_stream_errors_total',
      'Streams Redis refused to describe (WRONGTYPE: a key that is not a stream), left out of a sample: the rest is judged',
      ['code'],
    ),
    overdueRounds: counter(
      'recio_controller_rounds_overdue_total',
      'Evaluations that ran past ROUND_DEADLINE_MS: the replica gave leadership up until they ended',
      ['round'],
    ),
    sampleSeconds: new Gauge({
      name: 'recio_controller_sample_seconds',
      help: 'How long the last sample took',
      registers: [registry],
    }),
  };
}
