import { Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { GRAFANA_IMAGE } from './images.js';
import { componentLabels, selectorLabels } from './labels.js';
import { podsOf, tcp } from './network-policy-peers.js';
import { configHashAnnotation, oneReplicaTool, resources, restrictedContainer } from './pod-helpers.js';
import { PROMETHEUS, PROMETHEUS_PORT } from './prometheus-config.js';

/** Grafana's name: Deployment, Service, the NetworkPolicy peer. */
export const GRAFANA = 'grafana';
/** Grafana's port. */
export const GRAFANA_PORT = 3000;
/** Secret with Grafana's admin password (key `admin-password`); created at deploy time (kind). */
export const GRAFANA_SECRET = 'recio-grafana';
/** Where the dashboard ConfigMaps are mounted, one JSON file each; the file provider reads them there. */
export const GRAFANA_DASHBOARDS_DIR = '/etc/grafana/dashboards';
const GRAFANA_UID = 472; // the user of the official image

/** Grafana's provisioning: the Prometheus of the namespace as the default datasource, and the dashboards' folder. */
export function grafanaProvisioning(): { datasources: unknown; dashboards: unknown } {
  return {
    datasources: {
      apiVersion: 1,
      datasources: [
        {
          name: 'Prometheus',
          uid: 'prometheus',
          type: 'prometheus',
          access: 'proxy',
          url: `http://${PROMETHEUS}:${PROMETHEUS_PORT}`,
          // the dashboards name no datasource: they query the default one
          isDefault: true,
          editable: false,
        },
      ],
    },
    dashboards: {
      apiVersion: 1,
      providers: [
        {
          name: 'recio',
          folder: 'recio',
          type: 'file',
          disableDeletion: true,
          allowUiUpdates: false,
          updateIntervalSeconds: 30,
          options: { path: GRAFANA_DASHBOARDS_DIR },
        },
      ],
    },
  };
}

/**
 * The kind profile's Grafana: Prometheus as its datasource and the dashboard ConfigMaps the charts
 * ship (`dashboards`: their names) as files. Sign-in as `admin` with the password in
 * {@link GRAFANA_SECRET}; no anonymous access, no sign-up. State is an emptyDir (everything in it is
 * provisioned). Reached by `kubectl port-forward svc/grafana 3001:3000`.
 */
export class Grafana extends Construct {
  constructor(scope: Construct, id: string, config: ChartConfig, dashboards: readonly string[]) {
    super(scope, id);
    const ns = config.namespace;
    const labels = componentLabels(GRAFANA);
    const metadata = { name: GRAFANA, namespace: ns, labels };
    const provisioning = grafanaProvisioning();
    const port = k8s.IntOrString.fromString(GRAFANA);
    const data = {
      'datasources.yaml': Yaml.stringify(provisioning.datasources),
      'dashboards.yaml': Yaml.stringify(provisioning.dashboards),
    };
    new k8s.KubeConfigMap(this, 'provisioning', { metadata: { ...metadata, name: `${GRAFANA}-provisioning` }, data });
    const provisioned = (key: keyof typeof data) => ({
      name: key.replace('.yaml', ''),
      configMap: { name: `${GRAFANA}-provisioning`, items: [{ key, path: `recio-${key}` }] },
    });
    oneReplicaTool(this, {
      name: GRAFANA,
      namespace: ns,
      port: { name: GRAFANA, port: GRAFANA_PORT },
      // provisioning is read at start; the dashboard files are re-read every 30 s
      annotations: configHashAnnotation(data),
      containers: [
        {
          name: GRAFANA,
          image: GRAFANA_IMAGE,
          env: [
            { name: 'GF_SECURITY_ADMIN_USER', value: 'admin' },
            {
              name: 'GF_SECURITY_ADMIN_PASSWORD',
              valueFrom: { secretKeyRef: { name: GRAFANA_SECRET, key: 'admin-password' } },
            },
            { name: 'GF_AUTH_ANONYMOUS_ENABLED', value: 'false' },
            { name: 'GF_USERS_ALLOW_SIGN_UP', value: 'false' },
            // no egress but Prometheus: nothing to report to or check for
            { name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' },
            { name: 'GF_ANALYTICS_CHECK_FOR_UPDATES', value: 'false' },
            { name: 'GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES', value: 'false' },
            { name: 'GF_NEWS_NEWS_FEED_ENABLED', value: 'false' },
            // nor to download plugins from (Grafana 11+ installs some at start unless told not to)
            { name: 'GF_PLUGINS_PREINSTALL_DISABLED', value: 'true' },
            // logs to standard output only (the root file system is read-only)
            { name: 'GF_LOG_MODE', value: 'console' },
          ],
          ports: [{ name: GRAFANA, containerPort: GRAFANA_PORT }],
          resources: resources('100m', '256Mi', '512Mi'),
          securityContext: restrictedContainer(GRAFANA_UID),
          readinessProbe: { httpGet: { path: '/api/health', port }, periodSeconds: 10 },
          livenessProbe: { httpGet: { path: '/api/health', port }, initialDelaySeconds: 30, periodSeconds: 20 },
          volumeMounts: [
            { name: 'datasources', mountPath: '/etc/grafana/provisioning/datasources', readOnly: true },
            { name: 'dashboards', mountPath: '/etc/grafana/provisioning/dashboards', readOnly: true },
            { name: 'dashboard-files', mountPath: GRAFANA_DASHBOARDS_DIR, readOnly: true },
            { name: 'data', mountPath: '/var/lib/grafana' },
            { name: 'logs', mountPath: '/var/log/grafana' },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        },
      ],
      volumes: [
        provisioned('datasources.yaml'),
        provisioned('dashboards.yaml'),
        { name: 'dashboard-files', projected: { sources: dashboards.map((name) => ({ configMap: { name } })) } },
        { name: 'data', emptyDir: {} },
        { name: 'logs', emptyDir: {} },
        { name: 'tmp', emptyDir: {} },
      ],
    });
    new k8s.KubeNetworkPolicy(this, 'netpol', {
      metadata: { name: GRAFANA, namespace: ns },
      spec: {
        podSelector: { matchLabels: selectorLabels(GRAFANA) },
        // no ingress from any pod: `kubectl port-forward` enters through the pod's own loopback
        policyTypes: ['Ingress', 'Egress'],
        egress: [{ to: [podsOf(PROMETHEUS)], ports: tcp(PROMETHEUS_PORT) }],
      },
    });
  }
}
