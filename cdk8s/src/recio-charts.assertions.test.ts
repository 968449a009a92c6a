import { consumerGroups, databaseRoleName, databaseServices, SERVICES } from '@recio/platform';
import { describe, expect, it } from 'vitest';
import { podSpecs, type Obj } from '../test/chart-objects.js';
import { CHART_VARIANTS, parseChartConfig, type ChartConfig } from './config.js';
import { HEALTH_CONTROLLER_RULES } from './health-controller-rbac.js';
import { GRACE_MARGIN_SECONDS } from './platform-service.js';
import { GRAFANA_SECRET } from './grafana.js';
import { MONITOR_ROLE_ENV, ROLE_PASSWORDS_DIR } from './migrations-job.js';
import { MONITOR_ROLE, MONITOR_ROLE_SECRET } from './postgres-exporter.js';
import { databaseRoleSecret, ownerUrlSecret } from './postgres.js';
import { DATABASE_PASSWORD } from './service-env.js';
import { redisAclSecretKeys } from './redis-acl.js';
import { synthesizeObjects } from './recio-charts.js';

const objects = (c: ChartConfig): Obj[] => synthesizeObjects(c);
const find = (objs: Obj[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (o === undefined) throw new Error(`${kind}/${name} not synthesized`);
  return o;
};
const containers = (objs: Obj[]): Obj[] =>
  podSpecs(objs).flatMap((s) => [...(s.containers ?? []), ...(s.initContainers ?? [])]);

/** What a setting of the env ConfigMap must look like for the services' configuration to accept it. */
function envShape(key: string): RegExp {
  const hostPorts = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?:\d{2,5}(,[a-z0-9]([a-z0-9.-]*[a-z0-9])?:\d{2,5})*$/;
  const shapes: Record<string, RegExp> = {
    LOG_LEVEL: /^(fatal|error|warn|info|debug|trace|silent)$/,
    PRICE_SOURCE: /^(simulated|coinbase)$/,
    REDIS_SENTINELS: hostPorts,
    REDIS_SENTINEL_NAME: /^[A-Za-z0-9_.-]+$/,
    REDIS_CLUSTER_NODES: hostPorts,
  };
  const shape =
    shapes[key] ??
    (key.endsWith('_URL') ? /^(https?|wss?):\/\/[a-z0-9.-]+(:\d{2,5})?(\/\S*)?$/ : undefined) ??
    (key.endsWith('_MS') ? /^[1-9]\d*$/ : undefined);
  if (shape === undefined) throw new Error(`no expected shape for the setting ${key}: add it to envShape`);
  return shape;
}

/** Secrets created at deploy time (Makefile `secrets`, docs/deploy.md) or by an operator. */
function documentedSecrets(c: ChartConfig): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>([
    ['recio-redis-acl', new Set(redisAclSecretKeys())],
    ['recio-app', new Set(['api-tokens.json'])],
    ['recio-exchange', new Set(['credentials.json'])],
    ['recio-paper-accounts', new Set(['paper-accounts.json'])],
  ]);
  if (c.profile === 'kind') {
    m.set('recio-postgres', new Set(['password']));
    m.set(MONITOR_ROLE_SECRET, new Set(['username', 'password']));
    m.set(GRAFANA_SECRET, new Set(['admin-password']));
  }
  const db = ownerUrlSecret(c);
  m.set(db.name, new Set([...(m.get(db.name) ?? []), db.key]));
  for (const s of databaseServices(SERVICES)) m.set(databaseRoleSecret(s.name), new Set(['username', 'password']));
  return m;
}

describe.each(CHART_VARIANTS)('$profile-$redisMode', (variant) => {
  const config = parseChartConfig(variant);
  const objs = objects(config);
  const cloud = config.profile === 'cloud';

  it('mounts no private key into the paper exchange: it verifies signatures with the public keys only', () => {
    const deployment = objs.find((o) => o.kind === 'Deployment' && o.metadata?.name === 'paper-exchange');
    const secrets = (deployment?.spec?.template?.spec?.volumes ?? [])
      .map((v: { secret?: { secretName?: string } }) => v.secret?.secretName)
      .filter((name: string | undefined) => name !== undefined);
    expect(secrets).toEqual(['recio-paper-accounts']);
  });

  it('deploys every service with probes, resources, grace period, downward env and a pinned image', () => {
    for (const s of SERVICES) {
      const d = find(objs, 'Deployment', s.name);
      expect(d.spec.replicas).toBe(cloud ? s.cloudReplicas : 1);
      const pod = d.spec.template.spec;
      expect(pod.serviceAccountName).toBe(s.name);
      expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
      expect(pod.terminationGracePeriodSeconds).toBe(config.drainDeadlineSeconds + GRACE_MARGIN_SECONDS);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(config.drainDeadlineSeconds);
      const c = pod.containers[0];
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      // Concrete requests, and a memory limit above the memory request; no CPU limit (throttling hurts latency).
      expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } });
      expect(c.ports[0].containerPort).toBe(s.port);
      const env = new Map<string, Obj>(c.env.map((e: Obj) => [e.name, e]));
      expect(env.get('POD_NAME')?.valueFrom.fieldRef.fieldPath).toBe('metadata.name');
      expect(env.get('HOSTNAME')?.valueFrom.fieldRef.fieldPath).toBe('metadata.name');
      for (const name of s.env) {
        const skipped =
          config.redisMode === 'sentinel' ? name === 'REDIS_CLUSTER_NODES' : name.startsWith('REDIS_SENTINEL');
        expect(env.has(name), `${s.name} ${name}`).toBe(!skipped);
      }
      expect(find(objs, 'Service', s.name).spec.ports[0].port).toBe(s.port);
      // The ServiceAccount the pod runs as: in the Deployment's namespace, with an API token only for the controller.
      const account = find(objs, 'ServiceAccount', pod.serviceAccountName);
      expect(account.metadata.namespace).toBe(d.metadata.namespace);
      expect(account.automountServiceAccountToken).toBe(s.name === 'health-controller');
      const pdb = find(objs, 'PodDisruptionBudget', s.name);
      expect(pdb.spec.selector.matchLabels['app.kubernetes.io/name']).toBe(s.name);
      // It selects the Deployment's pods and keeps all but one of them (a single pod may go).
      expect(pdb.spec).toEqual({
        ...(d.spec.replicas > 1 ? { minAvailable: d.spec.replicas - 1 } : { maxUnavailable: 1 }),
        selector: { matchLabels: d.spec.selector.matchLabels },
      });
    }
  });

  it('never runs a latest or untagged image', () => {
    for (const c of containers(objs)) {
      expect(c.image, c.name).toMatch(/:[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
      expect(c.image).not.toMatch(/:latest$/);
    }
  });

  it('runs Redis as the mode asks, spread over nodes (hard in cloud) with a PDB', () => {
    const names = config.redisMode === 'sentinel' ? ['redis', 'sentinel'] : ['redis-cluster'];
    for (const name of names) {
      const sts = find(objs, 'StatefulSet', name);
      expect(sts.spec.replicas).toBe(config.redisMode === 'sentinel' ? 3 : 6);
      const anti = sts.spec.template.spec.affinity.podAntiAffinity;
      if (cloud)
        expect(anti.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
      else expect(anti.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
      expect(sts.spec.volumeClaimTemplates[0].spec.accessModes).toEqual(['ReadWriteOnce']);
      // The PDB selects the StatefulSet's pods and keeps the sentinel quorum (2 of 3), or in a
      // cluster lets one node go at a time (a master and its replica never together).
      const pdb = find(objs, 'PodDisruptionBudget', name);
      expect(pdb.spec.selector.matchLabels['app.kubernetes.io/name']).toBe(name);
      expect(pdb.spec).toEqual({
        ...(config.redisMode === 'sentinel' ? { minAvailable: 2 } : { maxUnavailable: 1 }),
        selector: { matchLabels: sts.spec.selector.matchLabels },
      });
      expect(sts.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
      const headless = find(objs, 'Service', `${name}-headless`);
      expect(headless.spec.clusterIP).toBe('None');
      expect(headless.spec.publishNotReadyAddresses).toBe(true);
    }
    const conf = find(
      objs,
      'ConfigMap',
      config.redisMode === 'sentinel' ? 'redis-config' : 'redis-cluster-config',
    ).data;
    const redisConf: string = conf['redis-master.conf'] ?? conf['redis.conf'];
    // The same renderer the local topologies (and their real-server tests) use.
    expect(redisConf.startsWith('# Generated by @recio/topology renderRedisConf')).toBe(true);
    expect(redisConf).toMatch(/^appendonly yes$/m);
    expect(redisConf).toMatch(/^appendfsync everysec$/m);
    expect(redisConf).toMatch(/^save 900 1/m);
    expect(redisConf).toMatch(/^maxmemory-policy (noeviction|volatile-lru)$/m);
    expect(redisConf).not.toMatch(/>[0-9a-f]{16,}/); // no password value, only placeholders
    for (const s of SERVICES.filter((x) => x.env.includes('REDIS_PASSWORD')))
      expect(redisConf).toContain(`user ${s.name} on `);
    if (config.redisMode === 'sentinel') {
      expect(conf['sentinel.conf'].startsWith('# Generated by @recio/topology renderSentinelConf')).toBe(true);
      expect(conf['sentinel.conf']).toMatch(/^sentinel monitor recio @@MASTER_HOST@@ 6379 2$/m);
      expect(conf['sentinel.conf']).toMatch(/^sentinel announce-hostnames yes$/m);
      expect(conf['redis-start.sh']).toContain('SENTINEL get-master-addr-by-name recio');
    } else {
      expect(redisConf).toMatch(/^cluster-enabled yes$/m);
      const job = find(objs, 'Job', 'redis-cluster-create');
      expect(job.spec.template.spec.restartPolicy).toBe('OnFailure');
      expect(conf['cluster-create.sh']).toContain('cluster already formed');
      expect(conf['cluster-create.sh']).toContain('--cluster-replicas 1');
    }
  });

  it('runs PostgreSQL as a StatefulSet in kind and a CloudNativePG Cluster of 3 in cloud, then migrates', () => {
    if (cloud) expect(find(objs, 'Cluster', 'postgres').spec.instances).toBe(3);
    else expect(find(objs, 'StatefulSet', 'postgres').spec.volumeClaimTemplates).toHaveLength(1);
    const job = objs.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('migrate-'));
    expect(job?.spec.template.spec.initContainers[0].command).toContain('migrate');
  });

  it('gives the health controller only the verbs it needs, in its namespace', () => {
    expect(objs.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toBe(false);
    const role = find(objs, 'Role', 'health-controller');
    expect(role.metadata.namespace).toBe(config.namespace);
    const verbs = (group: string, resource: string) =>
      role.rules
        .filter((r: Obj) => r.apiGroups.includes(group) && r.resources.includes(resource))
        .flatMap((r: Obj) => r.verbs)
        .sort();
    expect(verbs('', 'pods')).toEqual(['delete', 'get']);
    expect(verbs('', 'events')).toEqual([]);
    expect(verbs('events.k8s.io', 'events')).toEqual(['create']);
    expect(verbs('coordination.k8s.io', 'leases')).toEqual(['create', 'get', 'update']);
    expect(verbs('recio.dev', 'eventconsumers')).toEqual(['list', 'watch']);
    expect(verbs('recio.dev', 'eventconsumers/status')).toEqual(['get', 'update']);
    expect(role.rules).toHaveLength(HEALTH_CONTROLLER_RULES.length);
    for (const r of role.rules) expect(r.verbs).not.toContain('*');
    const binding = find(objs, 'RoleBinding', 'health-controller');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'health-controller', namespace: config.namespace },
    ]);
    // Only the controller's pods carry an API token.
    for (const s of SERVICES) {
      expect(find(objs, 'Deployment', s.name).spec.template.spec.automountServiceAccountToken).toBe(
        s.name === 'health-controller',
      );
    }
  });

  it('denies traffic by default and lets each service talk only to what it needs', () => {
    const deny = find(objs, 'NetworkPolicy', 'default-deny');
    expect(deny.spec.podSelector).toEqual({});
    expect(deny.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(deny.spec.ingress).toBeUndefined();
    for (const s of SERVICES) {
      const np = find(objs, 'NetworkPolicy', s.name);
      expect(np.spec.podSelector.matchLabels['app.kubernetes.io/name']).toBe(s.name);
      const egressPorts = np.spec.egress.flatMap((r: Obj) => r.ports.map((p: Obj) => p.port));
      if (s.env.includes('DATABASE_URL')) expect(egressPorts).toContain(5432);
      else expect(egressPorts).not.toContain(5432);
      const internet = np.spec.egress.some((r: Obj) => r.to.some((t: Obj) => t.ipBlock?.cidr === '0.0.0.0/0'));
      expect(internet, s.name).toBe(s.egressInternet || s.name === 'health-controller');
      const ingressFromNamespaces = np.spec.ingress.flatMap((r: Obj) =>
        r.from.map((f: Obj) => f.namespaceSelector?.matchLabels['kubernetes.io/metadata.name']),
      );
      expect(ingressFromNamespaces.includes(config.ingressNamespace)).toBe(s.name === 'main-app');
    }
  });

  it('exposes main-app through an Ingress on the configured host: its page, API and socket, never /metrics or /readyz', () => {
    const ing = find(objs, 'Ingress', 'main-app');
    expect(ing.spec.rules[0].host).toBe(config.ingressHost);
    // Kubernetes' matching: Exact is the whole path; Prefix matches whole '/'-separated segments.
    const routed = (path: string) =>
      (ing.spec.rules[0].http.paths as { path: string; pathType: string }[]).some((p) =>
        p.pathType === 'Exact' ? path === p.path : path === p.path || path.startsWith(`${p.path.replace(/\/$/, '')}/`),
      );
    for (const path of ['/', '/assets/app.js', '/api/v1/trades', '/api/v1/replay', '/ws'])
      expect(routed(path), path).toBe(true);
    for (const path of ['/metrics', '/readyz', '/healthz', '/index.html', '/apix', '/ws/x', '/assetsx'])
      expect(routed(path), path).toBe(false);
    if (cloud) expect(ing.spec.tls[0].secretName).toBe('recio-tls');
    else expect(ing.spec.tls).toBeUndefined();
  });

  it('declares one EventConsumer per consumer group, the CRD, ServiceMonitors, PodMonitors, rules and dashboards', () => {
    const crd = find(objs, 'CustomResourceDefinition', 'eventconsumers.recio.dev');
    expect(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.required).toContain('group');
    expect(crd.spec.versions[0].subresources).toEqual({ status: {} });
    const ecs = objs.filter((o) => o.kind === 'EventConsumer');
    expect(ecs.map((e) => e.spec.group).sort()).toEqual(
      consumerGroups()
        .map((g) => g.group.name)
        .sort(),
    );
    for (const s of SERVICES) expect(find(objs, 'ServiceMonitor', s.name).spec.endpoints[0].path).toBe('/metrics');
    expect(find(objs, 'PrometheusRule', 'recio').spec.groups.length).toBeGreaterThan(0);
    // CloudNativePG's instances are scraped through a PodMonitor of their own, kind's postgres_exporter
    // through its own; redis_exporter in every Redis data pod (observability.test.ts has the rest)
    if (cloud)
      expect(find(objs, 'PodMonitor', 'postgres').spec.selector.matchLabels).toEqual({ 'cnpg.io/cluster': 'postgres' });
    else
      expect(find(objs, 'PodMonitor', 'postgres-exporter').spec.selector.matchLabels).toMatchObject({
        'app.kubernetes.io/name': 'postgres-exporter',
      });
    expect(find(objs, 'PodMonitor', 'redis-exporter').spec.podMetricsEndpoints[0].port).toBe('metrics');
    const dashboards = objs.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
    expect(dashboards.length).toBeGreaterThanOrEqual(4);
  });

  it('connects every service to PostgreSQL as its own role, and only the migrate Job as the owner', () => {
    const host = cloud ? 'postgres-rw' : 'postgres';
    for (const s of databaseServices(SERVICES)) {
      const env: Obj[] = find(objs, 'Deployment', s.name).spec.template.spec.containers[0].env;
      const at = (name: string) => env.findIndex((e) => e.name === name);
      expect(env[at(DATABASE_PASSWORD)]!.valueFrom.secretKeyRef, s.name).toEqual({
        name: databaseRoleSecret(s.name),
        key: 'password',
      });
      // $(VAR) expands only variables defined earlier in the list
      expect(at(DATABASE_PASSWORD)).toBeLessThan(at('DATABASE_URL'));
      expect(env[at('DATABASE_URL')]!.value).toBe(
        `postgresql://${databaseRoleName(s.name)}:$(DATABASE_PASSWORD)@${host}:5432/recio`,
      );
    }
    expect(
      find(objs, 'Deployment', 'paper-exchange').spec.template.spec.containers[0].env.map((e: Obj) => e.name),
    ).not.toContain('DATABASE_URL');
    const owner = ownerUrlSecret(config).name;
    const usesOwner = containers(objs).filter((c) =>
      (c.env ?? []).some((e: Obj) => e.valueFrom?.secretKeyRef?.name === owner),
    );
    expect(usesOwner.map((c) => c.name).sort()).toEqual(['database-roles', 'migrate']);

    const job = objs.find((o) => o.kind === 'Job' && o.metadata.labels['app.kubernetes.io/name'] === 'migrate')!.spec
      .template.spec;
    expect(job.initContainers.map((c: Obj) => c.command.at(-1))).toEqual(['migrate']); // roles are granted after the migrations
    const rolesStep = job.containers[0];
    expect(rolesStep.command).toEqual(['node', 'service-kit/dist/database-roles-main.js']);
    if (cloud) {
      // CloudNativePG creates the roles with their Secrets' passwords; the step only grants.
      const roles: Obj[] = find(objs, 'Cluster', 'postgres').spec.managed.roles;
      expect(roles.map((r) => [r.name, r.passwordSecret.name])).toEqual(
        databaseServices(SERVICES).map((s) => [databaseRoleName(s.name), databaseRoleSecret(s.name)]),
      );
      for (const r of roles)
        expect([r.login, r.superuser, r.createdb, r.createrole, r.replication, r.bypassrls]).toEqual([
          true,
          false,
          false,
          false,
          false,
          false,
        ]);
      expect(rolesStep.env.map((e: Obj) => e.name)).toEqual(['DATABASE_URL']);
    } else {
      expect(rolesStep.env).toContainEqual({ name: 'DATABASE_ROLE_PASSWORDS_DIR', value: ROLE_PASSWORDS_DIR });
      // and postgres_exporter's role (pg_monitor), named to the step, its password beside the services'
      expect(rolesStep.env).toContainEqual({ name: MONITOR_ROLE_ENV, value: MONITOR_ROLE });
      const sources: Obj[] = job.volumes[0].projected.sources;
      expect(sources.map((x) => [x.secret.name, x.secret.items[0].path])).toEqual([
        ...databaseServices(SERVICES).map((s) => [databaseRoleSecret(s.name), s.name]),
        [MONITOR_ROLE_SECRET, MONITOR_ROLE],
      ]);
    }
  });

  it('references only ConfigMaps it creates and Secrets that are documented', () => {
    const configMaps = new Set(objs.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name));
    const secrets = documentedSecrets(config);
    const specs = podSpecs(objs);
    for (const spec of specs) {
      for (const v of spec.volumes ?? []) {
        if (v.configMap) expect(configMaps.has(v.configMap.name), v.configMap.name).toBe(true);
        if (v.secret) expect(secrets.has(v.secret.secretName), v.secret.secretName).toBe(true);
        for (const src of v.projected?.sources ?? []) {
          if (src.configMap) expect(configMaps.has(src.configMap.name), src.configMap.name).toBe(true);
          for (const item of src.secret?.items ?? [])
            expect(secrets.get(src.secret.name)?.has(item.key), `${src.secret.name}/${item.key}`).toBe(true);
        }
      }
    }
    for (const c of containers(objs)) {
      for (const e of c.env ?? []) {
        const cm = e.valueFrom?.configMapKeyRef;
        if (cm) expect(find(objs, 'ConfigMap', cm.name).data[cm.key], `${cm.name}/${cm.key}`).toMatch(envShape(cm.key));
        const sk = e.valueFrom?.secretKeyRef;
        if (sk) expect(secrets.get(sk.name)?.has(sk.key), `${sk.name}/${sk.key}`).toBe(true);
      }
    }
    // A variable naming a file (API tokens, exchange keys) points into a Secret mounted read-only.
    for (const c of containers(objs)) {
      for (const e of c.env ?? []) {
        if (typeof e.value !== 'string' || !e.value.startsWith('/etc/recio/')) continue;
        // A variable naming a whole folder (the roles' passwords): the mount itself, read-only.
        const folder = (c.volumeMounts ?? []).find((m: Obj) => m.mountPath === e.value);
        if (folder) {
          expect(folder.readOnly, `${c.name} ${e.name}`).toBe(true);
          continue;
        }
        const dir = e.value.slice(0, e.value.lastIndexOf('/'));
        const mount = (c.volumeMounts ?? []).find((m: Obj) => m.mountPath === dir);
        expect(mount?.readOnly, `${c.name} ${e.name}`).toBe(true);
        const key = e.value.slice(dir.length + 1);
        const volume = specs.flatMap((sp) => sp.volumes ?? []).find((v: Obj) => v.name === mount.name);
        expect(secrets.get(volume.secret.secretName)?.has(key), `${e.name} → ${volume.secret.secretName}/${key}`).toBe(
          true,
        );
      }
    }
    for (const ing of objs.filter((o) => o.kind === 'Ingress')) {
      for (const t of ing.spec.tls ?? []) expect(t.secretName).toBe(config.ingressTlsSecret);
    }
    // No Secret object is ever synthesized: values never reach git.
    expect(objs.some((o) => o.kind === 'Secret')).toBe(false);
  });
});
