import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceSpec } from '@recio/platform';
import { ApiObject, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { dashboardJson, dashboards } from './dashboards.js';
import { componentLabels, selectorLabels } from './labels.js';
import { METRICS_PORT_NAME, servicePortName } from './metrics-ports.js';
import { POSTGRES_EXPORTER } from './postgres-exporter.js';
import { redisServerComponent } from './redis-exporter.js';

/** The repository's dashboards/ (from cdk8s/src and cdk8s/dist alike). */
export const DASHBOARDS_DIR = fileURLToPath(new URL('../../dashboards/', import.meta.url));
/**
 * The Prometheus rule file shipped as the PrometheusRule `recio` and, in kind, loaded by the charts'
 * own Prometheus (promtool-tested in `make test`).
 */
export const RULES_FILE = join(DASHBOARDS_DIR, 'rules', 'recio.rules.yml');
/** Grafana dashboards, one JSON file each, shipped as ConfigMaps (Grafana's sidecar in cloud, mounted in kind). */
export const GRAFANA_DIR = join(DASHBOARDS_DIR, 'grafana');

/** The rule groups of {@link RULES_FILE}. */
export function ruleGroups(): unknown[] {
  const [doc] = Yaml.load(RULES_FILE) as [{ groups?: unknown[] } | undefined];
  if (!Array.isArray(doc?.groups) || doc.groups.length === 0) throw new Error(`${RULES_FILE}: no rule groups`);
  return doc.groups;
}

/** Dashboard name (its uid, the file name without `.json`) → its JSON text, in name order, as dashboards.ts builds them. */
export function grafanaDashboards(): Map<string, string> {
  return new Map([...dashboards()].sort(([a], [b]) => a.localeCompare(b)).map(([uid, d]) => [uid, dashboardJson(d)]));
}

/** Writes the dashboards into {@link GRAFANA_DIR} (`npm run synth`), for Grafana users who import files. */
export async function writeDashboards(dir = GRAFANA_DIR): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const built = grafanaDashboards();
  for (const old of await readdir(dir))
    if (old.endsWith('.json') && !built.has(old.slice(0, -5))) await rm(join(dir, old));
  for (const [name, json] of built) await writeFile(join(dir, `${name}.json`), json);
  return [...built.keys()].map((n) => join(dir, `${n}.json`));
}

/** Name of the ConfigMap that holds one dashboard (uid `recio-<short>` → `dashboard-<short>`). */
export function dashboardConfigMapName(uid: string): string {
  return `dashboard-${uid.replace(/^recio-/, '')}`;
}

/**
 * The Grafana dashboards as ConfigMaps, one each, labelled for Grafana's dashboard sidecar (cloud);
 * the kind profile's Grafana mounts the same ConfigMaps (grafana.ts).
 */
export class DashboardConfigMaps extends Construct {
  /** The ConfigMaps' names, in dashboard order. */
  readonly names: string[] = [];

  constructor(scope: Construct, id: string, config: ChartConfig) {
    super(scope, id);
    for (const [uid, json] of grafanaDashboards()) {
      const name = dashboardConfigMapName(uid);
      new k8s.KubeConfigMap(this, name, {
        metadata: {
          name,
          namespace: config.namespace,
          labels: { ...componentLabels('dashboards'), grafana_dashboard: '1' },
        },
        data: { [`${uid}.json`]: json },
      });
      this.names.push(name);
    }
  }
}

/**
 * prometheus-operator's objects: a ServiceMonitor per service, PodMonitors for the exporters
 * (redis_exporter in every Redis data pod; postgres_exporter in kind, CloudNativePG's own in
 * cloud), and the PrometheusRule. Every target carries `app.kubernetes.io/part-of`, as the rules
 * select it; every port is one of `scrapedPortNames` (metrics-ports.ts).
 */
export class Monitoring extends Construct {
  constructor(scope: Construct, id: string, config: ChartConfig, services: readonly ServiceSpec[]) {
    super(scope, id);
    const ns = config.namespace;
    for (const s of services) {
      new ApiObject(this, `sm-${s.name}`, {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: s.name, namespace: ns, labels: componentLabels(s.name) },
        spec: {
          selector: { matchLabels: selectorLabels(s.name) },
          // the rules select the platform's targets by this label, whatever the namespace
          targetLabels: ['app.kubernetes.io/part-of'],
          endpoints: [{ port: servicePortName(s), path: '/metrics', interval: '15s' }],
        },
      });
    }
    const podMonitor = (name: string, selector: Record<string, unknown>, interval: string) =>
      new ApiObject(this, `pm-${name}`, {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PodMonitor',
        metadata: { name, namespace: ns, labels: componentLabels(name) },
        spec: {
          selector,
          podTargetLabels: ['app.kubernetes.io/part-of'],
          podMetricsEndpoints: [{ port: METRICS_PORT_NAME, path: '/metrics', interval }],
        },
      });
    podMonitor('redis-exporter', { matchLabels: selectorLabels(redisServerComponent(config)) }, '15s');
    if (config.profile === 'cloud') {
      // CloudNativePG's own exporter (port `metrics`, 9187) on every instance; the operator's
      // enablePodMonitor is deprecated in favour of a PodMonitor of one's own.
      podMonitor('postgres', { matchLabels: { 'cnpg.io/cluster': 'postgres' } }, '30s');
    } else {
      podMonitor(POSTGRES_EXPORTER, { matchLabels: selectorLabels(POSTGRES_EXPORTER) }, '30s');
    }
    new ApiObject(this, 'rules', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'recio', namespace: ns, labels: componentLabels('recio-rules') },
      spec: { groups: ruleGroups() },
    });
  }
}
