/**
 * The Grafana dashboards as code (Grafana's foundation SDK): `npm run synth` writes them to
 * dashboards/grafana/ (committed, kept in sync by dashboards.test.ts), and the charts ship each as a
 * ConfigMap (monitoring.ts). Every query reads the `recio_*` metrics the services export
 * (ARCHITECTURE "Observability"), labelled by channel class, never by channel; the infrastructure
 * row reads the exporters' own names (redis_*, pg_*, cnpg_*).
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { legacyPollingPerMinute } from '@recio/platform';
import { DATABASE_NAME } from './postgres.js';

/** The delivery objective of the proposal: commit → handler start under 100 ms. */
export const DELIVERY_SLO_SECONDS = 0.1;

type Panel = timeseries.PanelBuilder | stat.PanelBuilder;

const query = (expr: string, legend: string) => new prometheus.DataqueryBuilder().expr(expr).legendFormat(legend);

/** A time series panel: title, unit, and its queries as [expr, legend] pairs. */
function series(title: string, unit: string, queries: [expr: string, legend: string][], description?: string): Panel {
  const p = new timeseries.PanelBuilder()
    .title(title)
    .unit(unit)
    .height(8)
    .span(12)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    );
  if (description) p.description(description);
  for (const [expr, legend] of queries) p.withTarget(query(expr, legend));
  return p;
}

/** A single-number panel. */
function single(title: string, unit: string, expr: string, legend: string, description?: string): Panel {
  const p = new stat.PanelBuilder().title(title).unit(unit).height(4).span(6).withTarget(query(expr, legend));
  if (description) p.description(description);
  return p;
}

function build(
  uid: string,
  title: string,
  description: string,
  rows: [string, Panel[]][],
  extra?: (d: dashboard.DashboardBuilder) => void,
) {
  const d = new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['recio'])
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser');
  extra?.(d);
  for (const [row, panels] of rows) {
    d.withRow(new dashboard.RowBuilder(row));
    for (const p of panels) d.withPanel(p);
  }
  return d.build();
}

const rate = (expr: string) => `rate(${expr}[$__rate_interval])`;
const quantile = (q: number, metric: string, by: string) =>
  `histogram_quantile(${q}, sum by (${by}, le) (${rate(`${metric}_bucket`)}))`;

/**
 * The same figure from whichever PostgreSQL exporter runs: postgres_exporter's series (kind) or
 * CloudNativePG's, whose names differ (cloud); only one of the two sides ever has data.
 */
const eitherPostgres = (exporter: string, cnpg: string) => `${exporter} or ${cnpg}`;

/**
 * The servers under the streams, as their exporters see them: redis_exporter (every Redis data
 * pod, both profiles), postgres_exporter (kind) or CloudNativePG's exporter (cloud).
 */
function infrastructure(): Panel[] {
  const db = `datname="${DATABASE_NAME}"`;
  const commits = (prefix: string) =>
    `sum(${rate(`${prefix}pg_stat_database_xact_commit{${db}}`)}) + sum(${rate(`${prefix}pg_stat_database_xact_rollback{${db}}`)})`;
  return [
    single(
      'Redis instances up',
      'short',
      'sum(redis_up)',
      'up',
      'Redis servers answering their exporter (3 in sentinel mode, 6 in cluster mode); alert RecioRedisDown.',
    ),
    single(
      'PostgreSQL instances up',
      'short',
      eitherPostgres('sum(pg_up)', 'sum(cnpg_collector_up)'),
      'up',
      'PostgreSQL instances answering their exporter (kind 1, cloud 3); alert RecioPostgresDown.',
    ),
    series('Redis memory used, by pod', 'bytes', [
      ['max by (pod) (redis_memory_used_bytes)', '{{pod}}'],
      ['max(redis_memory_max_bytes)', 'maxmemory'],
    ]),
    series('Redis connected clients, by pod', 'short', [['max by (pod) (redis_connected_clients)', '{{pod}}']]),
    series(
      'Services connected to Redis (1 = ready), by service',
      'short',
      [['min by (service) (recio_redis_connected)', '{{service}}']],
      "Each service's own view of its Redis connection (the router's client): 0 while it reconnects or fails over.",
    ),
    series('Redis command latency p99, as the services see it, by command', 's', [
      [quantile(0.99, 'recio_redis_command_seconds', 'command'), '{{command}}'],
    ]),
    series(`PostgreSQL connections to ${DATABASE_NAME}`, 'short', [
      [eitherPostgres(`sum(pg_stat_database_numbackends{${db}})`, `sum(cnpg_backends_total{${db}})`), 'connections'],
    ]),
    series(`PostgreSQL transactions per second in ${DATABASE_NAME} (commits and rollbacks)`, 'ops', [
      [eitherPostgres(commits(''), commits('cnpg_')), 'transactions'],
    ]),
  ];
}

/** Stream health: publishing, delivery lag against the objective, group lag and pending, states, the controller, the servers. */
function streamHealth() {
  return build(
    'recio-stream-health',
    'recio stream health',
    "Events from commit to handler: publish rate, delivery lag against the 100 ms objective, each group's lag and pending entries, the health controller's judgement and actions, and the Redis and PostgreSQL servers under them.",
    [
      [
        'Publishing',
        [
          series('Events published per second, by class', 'ops', [
            [`sum by (class) (${rate('recio_events_published_total')})`, '{{class}}'],
          ]),
          series('Commit → appended in Redis, p99', 's', [
            [quantile(0.99, 'recio_publish_latency_seconds', 'class'), '{{class}}'],
          ]),
        ],
      ],
      [
        'Delivery',
        [
          series(
            'Commit → handler start, p50 and p99 by group',
            's',
            [
              [quantile(0.5, 'recio_consumer_delivery_lag_seconds', 'group'), 'p50 {{group}}'],
              [quantile(0.99, 'recio_consumer_delivery_lag_seconds', 'group'), 'p99 {{group}}'],
              [`vector(${DELIVERY_SLO_SECONDS})`, 'objective (100 ms)'],
            ],
            "The proposal's objective: stream lag under 100 ms under load (alert RecioDeliveryLagOverSlo).",
          ),
          series('Events applied per second, by group', 'ops', [
            [`sum by (group) (${rate('recio_consumer_events_total{outcome="applied"}')})`, '{{group}}'],
          ]),
        ],
      ],
      [
        'Groups',
        [
          series('Lag (events committed, not applied), by group and class', 'short', [
            ['max by (group, class) (recio_group_lag)', '{{group}} {{class}}'],
          ]),
          series('Lag in time (oldest unapplied event), by group', 's', [
            ['max by (group) (recio_group_lag_seconds)', '{{group}}'],
          ]),
          series('Pending entries (delivered, not acknowledged), by group', 'short', [
            ['sum by (group) (max by (group, class) (recio_group_pending))', '{{group}}'],
          ]),
          series(
            'Group state (0 OK, 1 SLOW, 2 STALLED)',
            'short',
            [
              [
                'max by (group) (recio_group_state{state="SLOW"}) + 2 * max by (group) (recio_group_state{state="STALLED"})',
                '{{group}}',
              ],
            ],
            "The health controller's judgement over each group's window.",
          ),
        ],
      ],
      [
        'Health controller',
        [
          single('Replicas leading', 'short', 'sum(recio_controller_leader)', 'leading'),
          single('Members stopped now', 'short', 'sum(recio_consumer_stopped) or vector(0)', 'stopped'),
          series('Restarts, by group and outcome', 'short', [
            ['sum by (group, outcome) (increase(recio_controller_restarts_total[$__range]))', '{{group}} {{outcome}}'],
          ]),
          series('Clean-ups: entries acknowledged for gone members, members deleted', 'short', [
            ['sum(increase(recio_controller_acked_total[$__rate_interval]))', 'acked'],
            ['sum(increase(recio_controller_consumers_deleted_total[$__rate_interval]))', 'deleted'],
          ]),
        ],
      ],
      ['Infrastructure', infrastructure()],
    ],
  );
}

/** Consistency: PostgreSQL ahead of Redis, duplicates dropped, dead letters, relay repairs. */
function consistency() {
  return build(
    'recio-consistency',
    'recio consistency',
    'PostgreSQL is the record and Redis its copy: events not yet in Redis, duplicates the consumers dropped, dead letters, what the relay repaired.',
    [
      [
        'PostgreSQL and Redis',
        [
          series('Events committed, not yet in Redis (relay view), by class', 'short', [
            ['max by (class) (recio_unpropagated_events)', '{{class}}'],
          ]),
          series('Relay comparisons, by kind', 'ops', [
            [`sum by (kind) (${rate('recio_relay_sweeps_total')})`, '{{kind}}'],
          ]),
          series("Stream entries above PostgreSQL's head, removed by the relay", 'short', [
            ['sum by (class) (increase(recio_stream_entries_ahead_total[$__rate_interval]))', '{{class}}'],
          ]),
          series('Append outcomes, by outcome', 'ops', [
            [`sum by (outcome) (${rate('recio_append_outcomes_total')})`, '{{outcome}}'],
          ]),
        ],
      ],
      [
        'Consumers',
        [
          series('Duplicates dropped (already applied), by group', 'ops', [
            [`sum by (group) (${rate('recio_consumer_events_total{outcome="duplicate"}')})`, '{{group}}'],
          ]),
          series('Dead letters and re-drives, by group', 'short', [
            [
              'sum by (group, outcome) (increase(recio_consumer_events_total{outcome=~"dead_lettered|redriven"}[$__range]))',
              '{{group}} {{outcome}}',
            ],
          ]),
          series(
            'Failures: Redis and PostgreSQL, by operation',
            'ops',
            [
              [`sum by (op) (${rate('recio_redis_errors_total')}) or vector(0)`, 'redis {{op}}'],
              [`sum by (op) (${rate('recio_pg_errors_total')}) or vector(0)`, 'postgres {{op}}'],
            ],
            'A failure is counted with its operation and error code; none yet shows as a flat 0.',
          ),
        ],
      ],
    ],
  );
}

/** Migration: PostgreSQL statements per service beside the legacy polling floor, and update latency. */
function migration() {
  const legacy = legacyPollingPerMinute(0);
  return build(
    'recio-migration',
    'recio migration',
    'What moving from polling to events saved: PostgreSQL statements per minute against what the legacy polling cost for the same traders, and how fast an update reaches a trader.',
    [
      [
        'PostgreSQL statements',
        [
          series(
            'Statements per minute, by service, beside the legacy polling floor',
            'short',
            [
              [`sum by (service) (${rate('recio_pg_statements_total')}) * 60`, '{{service}}'],
              [`sum(${rate('recio_pg_statements_total')}) * 60`, 'platform'],
              [`vector(${legacy.perTrader} * $traders + ${legacy.fixed})`, 'legacy polling floor ($traders traders)'],
            ],
            `The legacy system polled at least ${legacy.perTrader} statements a minute per trader with the UI open and auto entry on, plus ${legacy.fixed} (@recio/platform's LEGACY_POLLS_PER_MINUTE); set $traders to the traders using it.`,
          ),
          series('Queries and transaction control per minute', 'short', [
            [`sum by (kind) (${rate('recio_pg_statements_total')}) * 60`, '{{kind}}'],
          ]),
        ],
      ],
      [
        'Update latency',
        [
          series("Commit → written to the trader's socket, p50 and p99", 's', [
            [quantile(0.5, 'recio_ws_send_lag_seconds', 'class'), 'p50 {{class}}'],
            [quantile(0.99, 'recio_ws_send_lag_seconds', 'class'), 'p99 {{class}}'],
          ]),
          series('Open trader sockets, and page loads from the cache', 'short', [
            ['sum(recio_ws_connections)', 'sockets'],
            ['sum(increase(recio_cache_hits_total{family="trader-view"}[$__rate_interval]))', 'page loads from Redis'],
            [
              'sum(increase(recio_cache_misses_total{family="trader-view"}[$__rate_interval]))',
              'page loads from PostgreSQL',
            ],
          ]),
        ],
      ],
    ],
    (d) =>
      d.withVariable(
        new dashboard.TextBoxVariableBuilder('traders')
          .label('traders (legacy floor)')
          .defaultValue('3')
          .current({ text: '3', value: '3' }),
      ),
  );
}

/** Trading: entries, stops, orders, realized pnl, the account mirror, exchange and feed health. */
function trading() {
  return build(
    'recio-trading',
    'recio trading',
    "Auto entry and auto stop, orders and their outcomes, the account mirror, the exchange's and the price feed's health.",
    [
      [
        'Decisions',
        [
          series('Auto-entry scans, by outcome', 'ops', [
            [`sum by (reason) (${rate('recio_auto_entry_scans_total')})`, '{{reason}}'],
          ]),
          series('Auto-stop decisions, by action', 'ops', [
            [`sum by (action) (${rate('recio_auto_stop_decisions_total')})`, '{{action}}'],
          ]),
        ],
      ],
      [
        'Orders and account',
        [
          series('Orders, by leg and outcome', 'short', [
            ['sum by (leg, outcome) (increase(recio_orders_total[$__rate_interval]))', '{{leg}} {{outcome}}'],
          ]),
          series('Orders looked up after the fact, by what was found', 'short', [
            ['sum by (leg, found) (increase(recio_order_confirmations_total[$__rate_interval]))', '{{leg}} {{found}}'],
          ]),
          series(
            'Realized pnl (after fees), gains and losses',
            'currencyUSD',
            [
              [
                'sum(increase(recio_realized_pnl_usd_total{direction="gain"}[$__rate_interval])) - sum(increase(recio_realized_pnl_usd_total{direction="loss"}[$__rate_interval]))',
                'net',
              ],
              ['sum(increase(recio_realized_pnl_usd_total{direction="gain"}[$__rate_interval]))', 'gains'],
              ['-sum(increase(recio_realized_pnl_usd_total{direction="loss"}[$__rate_interval]))', 'losses'],
            ],
            'Trades closed or settled, as the trade manager committed them (each counted once its transaction committed).',
          ),
          series('Trades ended, by how (close method) and result (W/L)', 'short', [
            ['sum by (method, result) (increase(recio_trades_ended_total[$__rate_interval]))', '{{method}} {{result}}'],
          ]),
          series('Account events (fills, settlements, balance, positions), by type', 'short', [
            ['sum by (type) (increase(recio_account_events_total[$__rate_interval]))', '{{type}}'],
          ]),
        ],
      ],
      [
        'Exchange and feed',
        [
          series('Exchange state, by component (1 = the status shown)', 'short', [
            ['max by (component, status) (recio_exchange_health_state) == 1', '{{component}} {{status}}'],
          ]),
          series('Exchange probe latency p99, by probe', 's', [
            [quantile(0.99, 'recio_exchange_probe_latency_seconds', 'probe'), '{{probe}}'],
          ]),
          single('Price feed up', 'short', 'max(recio_price_feed_up)', 'feed'),
          series('Prices stored per second', 'ops', [[`sum(${rate('recio_prices_stored_total')})`, 'stored']]),
        ],
      ],
    ],
  );
}

/** Every dashboard, by uid (its file name under dashboards/grafana/). */
export function dashboards(): Map<string, unknown> {
  return new Map(
    [streamHealth(), consistency(), migration(), trading()].map((d) => [(d as { uid: string }).uid, d] as const),
  );
}

/** A dashboard as its committed file holds it. */
export function dashboardJson(d: unknown): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

/** Every PromQL expression of a dashboard's panels, with where it is. */
export function panelQueries(d: unknown): { panel: string; expr: string }[] {
  const panels = (d as { panels?: { title?: string; type?: string; targets?: { expr?: string }[] }[] }).panels ?? [];
  return panels
    .filter((p) => p.type !== 'row')
    .flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title ?? '', expr: t.expr ?? '' })));
}
