import { AccountEvent, PositionEvent } from '@recio/platform';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MirrorChanges } from './mirror-writer.js';

/** The account sync's metrics (no per-user labels: users are many, series must not be). */
export class SyncMetrics {
  /** Syncs by kind (full, sweep, incremental) and outcome (ok, error). */
  readonly syncs: Counter<'kind' | 'outcome'>;
  /** Rows inserted or changed, by table. */
  readonly upserts: Counter<'table'>;
  /** Exchange WebSockets connected now (one per user). */
  readonly wsConnected: Gauge;
  /** Events published, by type. */
  readonly events: Counter<'type'>;

  constructor(registry: Registry) {
    this.syncs = new Counter({
      name: 'recio_account_syncs_total',
      help: 'Account syncs by kind (full resync, safety-net sweep, incremental) and outcome',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    });
    this.upserts = new Counter({
      name: 'recio_account_upserts_total',
      help: 'Mirror rows inserted or changed, by table',
      labelNames: ['table'],
      registers: [registry],
    });
    this.wsConnected = new Gauge({
      name: 'recio_account_ws_connected',
      help: 'Exchange WebSockets connected (one per user)',
      registers: [registry],
    });
    this.events = new Counter({
      name: 'recio_account_events_total',
      help: 'Account and position events published, by type',
      labelNames: ['type'],
      registers: [registry],
    });
    // Every type it publishes starts at 0 (a dashboard shows none rather than nothing).
    for (const schema of [...AccountEvent.options, ...PositionEvent.options])
      this.events.inc({ type: schema.shape.type.value }, 0);
  }

  /** Counts what a committed sync changed. */
  recordChanges(changes: MirrorChanges): void {
    for (const [table, n] of Object.entries(changes) as [keyof MirrorChanges, number][])
      if (n > 0) this.upserts.inc({ table }, n);
  }
}
