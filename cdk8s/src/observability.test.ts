/**
 * The observability objects' intent: the exporters beside Redis and PostgreSQL, who may reach them,
 * and in kind a Prometheus (every metrics port the charts declare, no API access, the shipped rules)
 * and a Grafana (Prometheus as default datasource, every dashboard ConfigMap) of the charts' own. promtool checks
 * the generated configuration in prometheus-config.int.test.ts; the exporters run for real in
 * exporters.int.test.ts.
 */
import { readFileSync } from 'node:fs';
import { SERVICES } from '@recio/platform';
import { Yaml } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { chartObjects, type Obj } from '../test/chart-objects.js';
import { CHART_VARIANTS, parseChartConfig } from './config.js';
import { GRAFANA_DASHBOARDS_DIR, GRAFANA_SECRET, grafanaProvisioning } from './grafana.js';
import { scrapedPortNames, scrapedPorts } from './metrics-ports.js';
import { dashboardConfigMapName, grafanaDashboards, RULES_FILE } from './monitoring.js';
import { MONITOR_ROLE, MONITOR_ROLE_SECRET } from './postgres-exporter.js';
import { PROMETHEUS_CONFIG_DIR } from './prometheus.js';
import { PROMETHEUS_RULES_FILE, prometheusConfig } from './prometheus-config.js';
import { REDIS_ACL_SECRET, REDIS_EXPORTER_USER } from './redis-acl.js';
import { redisServerComponent } from './redis-exporter.js';

const find = (objs: Obj[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (o === undefined) throw new Error(`${kind}/${name} not synthesized`);
  return o;
};
const container = (pod: Obj, name: string): Obj => pod.containers.find((c: Obj) => c.name === name);
const env = (c: Obj): Record<string, unknown> =>
  Object.fromEntries(c.env.map((e: Obj) => [e.name, e.value ?? e.valueFrom.secretKeyRef]));
const prometheusPeerOk = (peer: Obj, kind: boolean) =>
  peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring' ||
  (kind && peer.podSelector?.matchExpressions?.[0]?.values?.join() === 'prometheus');

describe.each(CHART_VARIANTS)('$profile-$redisMode observability', (variant) => {
  const objs = chartObjects(variant);
  const kind = variant.profile === 'kind';
  const redis = redisServerComponent(variant);

  it('runs redis_exporter beside every Redis data pod, as its own ACL user, without CONFIG and without /scrape', () => {
    const pod = find(objs, 'StatefulSet', redis).spec.template;
    const exporter = container(pod.spec, 'exporter');
    expect(exporter.ports).toEqual([{ name: 'metrics', containerPort: 9121 }]);
    expect(env(exporter)).toMatchObject({
      REDIS_ADDR: 'redis://localhost:6379',
      REDIS_USER: REDIS_EXPORTER_USER,
      REDIS_PASSWORD: { name: REDIS_ACL_SECRET, key: REDIS_EXPORTER_USER },
      REDIS_EXPORTER_CONFIG_COMMAND: '-',
      REDIS_EXPORTER_DISABLE_SCRAPE_ENDPOINT: 'true',
    });
    expect(exporter.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    // `kubectl exec redis-0 -- redis-cli …` (docs/deploy.md) still reaches the server
    expect(pod.metadata.annotations['kubectl.kubernetes.io/default-container']).toBe('redis');
    if (variant.redisMode === 'sentinel')
      expect(find(objs, 'StatefulSet', 'sentinel').spec.template.spec.containers).toHaveLength(1);
  });

  it('lets only Prometheus reach the exporters, and the PostgreSQL exporter reach only PostgreSQL', () => {
    const redisPolicy = find(objs, 'NetworkPolicy', 'redis').spec;
    const exporterRules = redisPolicy.ingress.filter((r: Obj) => r.ports.some((p: Obj) => p.port === 9121));
    expect(exporterRules).toHaveLength(1);
    expect(exporterRules[0].ports).toEqual([{ protocol: 'TCP', port: 9121 }]);
    for (const peer of exporterRules[0].from) expect(prometheusPeerOk(peer, kind), JSON.stringify(peer)).toBe(true);
    const exporter = objs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'postgres-exporter');
    if (!kind) {
      expect(exporter).toBeUndefined();
      return;
    }
    expect(exporter!.spec.ingress).toHaveLength(1);
    expect(exporter!.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 9187 }]);
    for (const peer of exporter!.spec.ingress[0].from) expect(prometheusPeerOk(peer, kind)).toBe(true);
    expect(exporter!.spec.egress).toEqual([
      {
        to: [
          {
            podSelector: {
              matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['postgres'] }],
            },
          },
        ],
        ports: [{ protocol: 'TCP', port: 5432 }],
      },
    ]);
  });

  it('runs postgres_exporter (kind) as the pg_monitor role through the Service, or leaves PostgreSQL to CloudNativePG (cloud)', () => {
    const deployment = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'postgres-exporter');
    const monitors = objs.filter((o) => o.kind === 'PodMonitor').map((o) => o.metadata.name);
    if (!kind) {
      expect(deployment).toBeUndefined();
      expect(monitors.sort()).toEqual(['postgres', 'redis-exporter']);
      return;
    }
    expect(monitors.sort()).toEqual(['postgres-exporter', 'redis-exporter']);
    const c = container(deployment!.spec.template.spec, 'exporter');
    expect(env(c)).toEqual({
      DATA_SOURCE_URI: 'postgres:5432/recio?sslmode=disable',
      DATA_SOURCE_USER: MONITOR_ROLE,
      DATA_SOURCE_PASS: { name: MONITOR_ROLE_SECRET, key: 'password' },
      PG_EXPORTER_WEB_LISTEN_ADDRESS: ':9187',
    });
    expect(deployment!.spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  it('deploys a Prometheus and a Grafana in kind only', () => {
    const own = objs.filter((o) => ['prometheus', 'grafana'].includes(o.metadata?.name) && o.kind === 'Deployment');
    expect(own.map((o) => o.metadata.name).sort()).toEqual(kind ? ['grafana', 'prometheus'] : []);
    // the dashboards ship in both, for the cloud's Grafana sidecar and the kind Grafana alike
    const maps = objs.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
    expect(maps.map((m) => m.metadata.name)).toEqual([...grafanaDashboards().keys()].map(dashboardConfigMapName));
  });

  it('names every scraped port of the operator objects as the kind Prometheus keeps them', () => {
    const names = new Set(scrapedPortNames(SERVICES));
    for (const o of objs.filter((x) => x.kind === 'ServiceMonitor' || x.kind === 'PodMonitor')) {
      const endpoints: Obj[] = o.spec.endpoints ?? o.spec.podMetricsEndpoints;
      for (const e of endpoints) expect(names.has(e.port), `${o.kind}/${o.metadata.name} ${e.port}`).toBe(true);
      expect(o.spec.targetLabels ?? o.spec.podTargetLabels).toEqual(['app.kubernetes.io/part-of']);
    }
  });
});

// The kind profile's own Prometheus and Grafana (cloud has none: asserted above).
describe.each(CHART_VARIANTS.filter((v) => v.profile === 'kind'))(
  '$profile-$redisMode Prometheus and Grafana',
  (variant) => {
    const objs = chartObjects(variant);

    it('gives Prometheus no Kubernetes API access: no token, no Role, egress to the scrape ports only', () => {
      const pod = find(objs, 'Deployment', 'prometheus').spec.template.spec;
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.serviceAccountName).toBeUndefined();
      expect(objs.filter((o) => ['Role', 'RoleBinding'].includes(o.kind)).map((o) => o.metadata.name)).toEqual([
        'health-controller',
        'health-controller',
      ]);
      const policy = find(objs, 'NetworkPolicy', 'prometheus').spec;
      expect(policy.egress).toHaveLength(1);
      expect(policy.egress[0].ports.map((p: Obj) => p.port)).toEqual(scrapedPorts(SERVICES));
      expect(policy.ingress).toEqual([
        {
          from: [
            {
              podSelector: {
                matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['grafana'] }],
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: 9090 }],
        },
      ]);
    });

    it('scrapes every container port the charts name as a metrics port, and nothing else, and loads the shipped rules', () => {
      const data = find(objs, 'ConfigMap', 'prometheus-config').data;
      const config = prometheusConfig(parseChartConfig(variant), SERVICES) as Obj;
      expect(data['prometheus.yml']).toBe(Yaml.stringify(config));
      expect(data[PROMETHEUS_RULES_FILE]).toBe(readFileSync(RULES_FILE, 'utf8'));
      expect(config.rule_files).toEqual([PROMETHEUS_RULES_FILE]);
      const args: string[] = find(objs, 'Deployment', 'prometheus').spec.template.spec.containers[0].args;
      expect(args).toContain(`--config.file=${PROMETHEUS_CONFIG_DIR}/prometheus.yml`);
      // Where each workload's metrics ports are reached: a StatefulSet's pods by their stable host
      // names, a Deployment's through the Service that selects it, on the same port.
      const portNames = new Set(scrapedPortNames(SERVICES));
      const expected: string[] = [];
      for (const w of objs.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind))) {
        const component = w.spec.template.metadata.labels['app.kubernetes.io/name'];
        for (const c of w.spec.template.spec.containers as Obj[]) {
          for (const p of (c.ports ?? []).filter((x: Obj) => portNames.has(x.name))) {
            if (w.kind === 'StatefulSet') {
              for (let i = 0; i < w.spec.replicas; i++) {
                const pod = `${w.metadata.name}-${i}`;
                expected.push(
                  `${component} ${pod}.${w.spec.serviceName}.recio.svc.cluster.local:${p.containerPort} ${pod}`,
                );
              }
            } else {
              const service = find(objs, 'Service', w.metadata.name);
              expect(service.spec.selector).toEqual(w.spec.selector.matchLabels);
              expect(service.spec.ports.map((x: Obj) => x.port)).toContain(p.containerPort);
              expected.push(`${component} ${w.metadata.name}.recio.svc:${p.containerPort} -`);
            }
          }
        }
      }
      const scraped = (config.scrape_configs as Obj[])
        .filter((j) => j.job_name !== 'prometheus')
        .flatMap((j) =>
          j.static_configs.flatMap((sc: Obj) => {
            expect(sc.labels).toMatchObject({ namespace: 'recio', app_kubernetes_io_part_of: 'recio' });
            return sc.targets.map((t: string) => `${j.job_name} ${t} ${sc.labels.pod ?? '-'}`);
          }),
        );
      expect(scraped.sort()).toEqual(expected.sort());
      expect(expected.length).toBe(SERVICES.length + (variant.redisMode === 'sentinel' ? 3 : 6) + 1);
    });

    it('provisions Grafana with Prometheus as the default datasource, every dashboard, and a Secret for admin', () => {
      const data = find(objs, 'ConfigMap', 'grafana-provisioning').data;
      const provisioning = grafanaProvisioning() as { datasources: Obj; dashboards: Obj };
      expect(data).toEqual({
        'datasources.yaml': Yaml.stringify(provisioning.datasources),
        'dashboards.yaml': Yaml.stringify(provisioning.dashboards),
      });
      const datasources = provisioning.datasources.datasources;
      expect(datasources).toHaveLength(1);
      expect(datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true });
      expect(find(objs, 'Service', 'prometheus').spec.ports[0].port).toBe(9090);
      const provider = provisioning.dashboards.providers[0];
      expect(provider).toMatchObject({ type: 'file', options: { path: GRAFANA_DASHBOARDS_DIR } });
      const pod = find(objs, 'Deployment', 'grafana').spec.template.spec;
      const mounts = new Map<string, Obj>(pod.containers[0].volumeMounts.map((m: Obj) => [m.mountPath, m]));
      const volume = (path: string) => pod.volumes.find((v: Obj) => v.name === mounts.get(path)!.name);
      expect(volume(GRAFANA_DASHBOARDS_DIR).projected.sources.map((s: Obj) => s.configMap.name)).toEqual(
        [...grafanaDashboards().keys()].map(dashboardConfigMapName),
      );
      for (const kindDir of ['datasources', 'dashboards'])
        expect(volume(`/etc/grafana/provisioning/${kindDir}`).configMap.items[0].key).toBe(`${kindDir}.yaml`);
      const vars = env(pod.containers[0]);
      expect(vars['GF_SECURITY_ADMIN_PASSWORD']).toEqual({ name: GRAFANA_SECRET, key: 'admin-password' });
      expect(vars['GF_AUTH_ANONYMOUS_ENABLED']).toBe('false');
      const policy = find(objs, 'NetworkPolicy', 'grafana').spec;
      expect(policy.ingress ?? []).toEqual([]);
      expect(policy.egress).toEqual([
        {
          to: [
            {
              podSelector: {
                matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['prometheus'] }],
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: 9090 }],
        },
      ]);
    });
  },
);
