import { readFileSync } from 'node:fs';
import type { ServiceSpec } from '@recio/platform';
import { Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { PROMETHEUS_IMAGE } from './images.js';
import { componentLabels, selectorLabels } from './labels.js';
import { scrapedPorts } from './metrics-ports.js';
import { RULES_FILE } from './monitoring.js';
import { ANY_RECIO_POD, podsOf, tcp } from './network-policy-peers.js';
import { configHashAnnotation, oneReplicaTool, resources, restrictedContainer } from './pod-helpers.js';
import { GRAFANA } from './grafana.js';
import { PROMETHEUS, PROMETHEUS_PORT, PROMETHEUS_RULES_FILE, prometheusConfig } from './prometheus-config.js';

/** Where the configuration and the rule file are mounted. */
export const PROMETHEUS_CONFIG_DIR = '/etc/prometheus/recio';
const PROMETHEUS_UID = 65534; // nobody, the user of the official image

/** The ConfigMap's data: the configuration, and the rule file the PrometheusRule ships, as it is. */
export function prometheusConfigData(config: ChartConfig, services: readonly ServiceSpec[]): Record<string, string> {
  return {
    'prometheus.yml': Yaml.stringify(prometheusConfig(config, services)),
    [PROMETHEUS_RULES_FILE]: readFileSync(RULES_FILE, 'utf8'),
  };
}

/**
 * The kind profile's Prometheus: scrapes every service and exporter of the namespace at static
 * addresses (prometheus-config.ts: no service account token, no RBAC) and evaluates the alert
 * rules (no Alertmanager: firing alerts show on its Alerts page). Data is an emptyDir, kept 2 days:
 * a restart starts it empty. Reached by `kubectl port-forward svc/prometheus 9090`.
 */
export class Prometheus extends Construct {
  constructor(scope: Construct, id: string, config: ChartConfig, services: readonly ServiceSpec[]) {
    super(scope, id);
    const ns = config.namespace;
    const labels = componentLabels(PROMETHEUS);
    const metadata = { name: PROMETHEUS, namespace: ns, labels };
    const data = prometheusConfigData(config, services);
    const web = k8s.IntOrString.fromString('web');

    new k8s.KubeConfigMap(this, 'config', { metadata: { ...metadata, name: `${PROMETHEUS}-config` }, data });
    oneReplicaTool(this, {
      name: PROMETHEUS,
      namespace: ns,
      port: { name: 'web', port: PROMETHEUS_PORT },
      annotations: configHashAnnotation(data),
      // static targets: no Kubernetes API access, so no token (oneReplicaTool mounts none)
      containers: [
        {
          name: PROMETHEUS,
          image: PROMETHEUS_IMAGE,
          args: [
            `--config.file=${PROMETHEUS_CONFIG_DIR}/prometheus.yml`,
            '--storage.tsdb.path=/prometheus',
            '--storage.tsdb.retention.time=2d',
            '--storage.tsdb.retention.size=1GB',
          ],
          ports: [{ name: 'web', containerPort: PROMETHEUS_PORT }],
          resources: resources('200m', '512Mi', '1Gi'),
          securityContext: restrictedContainer(PROMETHEUS_UID),
          readinessProbe: { httpGet: { path: '/-/ready', port: web }, periodSeconds: 10 },
          livenessProbe: {
            httpGet: { path: '/-/healthy', port: web },
            initialDelaySeconds: 30,
            periodSeconds: 20,
          },
          volumeMounts: [
            { name: 'config', mountPath: PROMETHEUS_CONFIG_DIR, readOnly: true },
            { name: 'data', mountPath: '/prometheus' },
          ],
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: `${PROMETHEUS}-config` } },
        { name: 'data', emptyDir: { sizeLimit: k8s.Quantity.fromString('2Gi') } },
      ],
    });
    new k8s.KubeNetworkPolicy(this, 'netpol', {
      metadata: { name: PROMETHEUS, namespace: ns },
      spec: {
        podSelector: { matchLabels: selectorLabels(PROMETHEUS) },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [podsOf(GRAFANA)], ports: tcp(PROMETHEUS_PORT) }],
        // every service's port and the exporters', on the platform's pods
        egress: [{ to: [ANY_RECIO_POD], ports: tcp(...scrapedPorts(services)) }],
      },
    });
  }
}
