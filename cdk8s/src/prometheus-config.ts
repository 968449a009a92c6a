import type { ServiceSpec } from '@recio/platform';
import type { ChartConfig } from './config.js';
import { PART_OF } from './labels.js';
import { POSTGRES_EXPORTER_PORT, REDIS_EXPORTER_PORT } from './metrics-ports.js';
import { POSTGRES_EXPORTER } from './postgres-exporter.js';
import { clusterNodeHosts } from './redis-cluster.js';
import { redisServerComponent } from './redis-exporter.js';
import { sentinelAddresses } from './redis-sentinel.js';

/** The rule file's name beside the configuration (a relative `rule_files` entry resolves next to it). */
export const PROMETHEUS_RULES_FILE = 'recio.rules.yml';
/** Prometheus' name: Deployment, Service, the NetworkPolicy peer. */
export const PROMETHEUS = 'prometheus';
/** Prometheus' own port. */
export const PROMETHEUS_PORT = 9090;

/** One scrape job: a component's `/metrics` addresses, with the labels its targets carry. */
export interface ScrapeJob {
  /** The component (`app.kubernetes.io/name`), also the `job` label, as a ServiceMonitor names it. */
  job: string;
  /** `host:port` each; a StatefulSet's pods one by one, a Deployment's through its Service. */
  targets: { address: string; pod?: string }[];
}

/**
 * Everything the kind Prometheus scrapes, from the catalogue and the charts' own addresses: each
 * service through its Service on its port (one replica each in kind), redis_exporter in every Redis
 * data pod by the pod's stable host name, postgres_exporter through its Service. Static targets
 * need no access to the Kubernetes API at all; that every container port the charts name as a
 * metrics port is here, and nothing else, is a test (observability.test.ts).
 */
export function scrapeJobs(config: ChartConfig, services: readonly ServiceSpec[]): ScrapeJob[] {
  const ns = config.namespace;
  const viaService = (name: string, port: number): ScrapeJob => ({
    job: name,
    targets: [{ address: `${name}.${ns}.svc:${port}` }],
  });
  const redisHosts = config.redisMode === 'sentinel' ? sentinelAddresses(ns).redis : clusterNodeHosts(ns);
  return [
    ...services.map((s) => viaService(s.name, s.port)),
    {
      job: redisServerComponent(config),
      targets: redisHosts.map((host) => ({ address: `${host}:${REDIS_EXPORTER_PORT}`, pod: host.split('.')[0]! })),
    },
    viaService(POSTGRES_EXPORTER, POSTGRES_EXPORTER_PORT),
  ];
}

/**
 * The kind profile's Prometheus configuration: a job per component of {@link scrapeJobs}, each
 * target labelled as prometheus-operator labels its targets in cloud (`namespace`, `pod` where there
 * is a stable one, `job`, and `app_kubernetes_io_part_of`, which the rules select), and the rule file
 * the PrometheusRule ships.
 */
export function prometheusConfig(config: ChartConfig, services: readonly ServiceSpec[]): Record<string, unknown> {
  const labels = { namespace: config.namespace, app_kubernetes_io_part_of: PART_OF };
  return {
    global: { scrape_interval: '15s', scrape_timeout: '10s', evaluation_interval: '15s' },
    rule_files: [PROMETHEUS_RULES_FILE],
    scrape_configs: [
      ...scrapeJobs(config, services).map(({ job, targets }) => ({
        job_name: job,
        metrics_path: '/metrics',
        static_configs: targets.map((t) => ({
          targets: [t.address],
          labels: { ...labels, ...(t.pod !== undefined ? { pod: t.pod } : {}) },
        })),
      })),
      { job_name: PROMETHEUS, static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`] }] },
    ],
  };
}
