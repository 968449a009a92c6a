import type { ServiceSpec } from '@recio/platform';
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { componentLabels, selectorLabels } from './labels.js';

/** Dashboards provisioned by Grafana's sidecar (it loads ConfigMaps labelled grafana_dashboard: "1"). */
export const DASHBOARDS = ['stream-health', 'consistency', 'migration', 'trading'] as const;

function placeholderDashboard(name: string): string {
  const title = `recio ${name.replace('-', ' ')}`;
  return `${JSON.stringify({ uid: `recio-${name}`, title, tags: ['recio'], schemaVersion: 39, panels: [], time: { from: 'now-1h', to: 'now' } }, null, 2)}\n`;
}

/** ServiceMonitors (prometheus-operator), a PrometheusRule and the Grafana dashboards. */
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
          endpoints: [{ port: s.name === 'relay' ? 'metrics' : 'http', path: '/metrics', interval: '15s' }],
        },
      });
    }
    // Placeholder group: the real alert rules (lag, dead letters, PG ahead of Redis) land with
    // the dashboards workspace and their promtool tests.
    new ApiObject(this, 'rules', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'recio', namespace: ns, labels: componentLabels('recio-rules') },
      spec: {
        groups: [
          {
            name: 'recio.availability',
            rules: [
              {
                alert: 'RecioTargetDown',
                expr: `up{namespace="${ns}"} == 0`,
                for: '5m',
                labels: { severity: 'warning' },
                annotations: { summary: '{{ $labels.job }} in {{ $labels.namespace }} has been unreachable for 5 minutes' },
              },
            ],
          },
        ],
      },
    });
    for (const d of DASHBOARDS) {
      new k8s.KubeConfigMap(this, `dashboard-${d}`, {
        metadata: { name: `dashboard-${d}`, namespace: ns, labels: { ...componentLabels('dashboards'), grafana_dashboard: '1' } },
        data: { [`recio-${d}.json`]: placeholderDashboard(d) },
      });
    }
  }
}
