import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { selectorLabels } from './labels.js';
import {
  ANY_RECIO_POD,
  ANYWHERE,
  namespacePeer,
  podsOf,
  POSTGRES_EGRESS,
  prometheusPeers,
  redisEgress,
  tcp,
} from './network-policy-peers.js';
import { POSTGRES_EXPORTER_PORT, REDIS_EXPORTER_PORT } from './metrics-ports.js';
import { POSTGRES_EXPORTER } from './postgres-exporter.js';

/**
 * The namespace's baseline: deny everything, allow DNS; then the data stores' own rules (clients
 * in, peers both ways, Prometheus to their exporters) and the Jobs' egress. Services add theirs in
 * service-network-policy.ts, Prometheus and Grafana (kind) in theirs.
 */
export class NamespaceNetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, config: ChartConfig) {
    super(scope, id);
    const ns = config.namespace;
    const policy = (name: string, spec: k8s.NetworkPolicySpec) =>
      new k8s.KubeNetworkPolicy(this, name, { metadata: { name, namespace: ns }, spec });

    policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    policy('allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
            { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
          ],
        },
      ],
    });

    const redisPods = config.redisMode === 'sentinel' ? ['redis', 'sentinel'] : ['redis-cluster'];
    const redisPorts = config.redisMode === 'sentinel' ? tcp(6379, 26379) : tcp(6379, 16379);
    policy('redis', {
      podSelector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: redisPods }] },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        { from: [ANY_RECIO_POD], ports: redisPorts },
        // redis_exporter, a sidecar of the data pods
        { from: prometheusPeers(config), ports: tcp(REDIS_EXPORTER_PORT) },
      ],
      egress: [{ to: [podsOf(...redisPods)], ports: redisPorts }],
    });

    const postgresIngress: k8s.NetworkPolicyIngressRule[] = [{ from: [ANY_RECIO_POD], ports: tcp(5432) }];
    const postgresEgress: k8s.NetworkPolicyEgressRule[] = [POSTGRES_EGRESS];
    if (config.profile === 'cloud') {
      // CloudNativePG: the operator calls each instance's status port; instances call the API server.
      postgresIngress.push({ from: [namespacePeer('cnpg-system')], ports: tcp(8000, 5432) });
      postgresIngress.push({ from: [namespacePeer(config.monitoringNamespace)], ports: tcp(POSTGRES_EXPORTER_PORT) });
      postgresEgress.push({ to: [ANYWHERE], ports: tcp(443, 6443) });
    }
    policy('postgres', {
      podSelector: { matchLabels: selectorLabels('postgres') },
      policyTypes: ['Ingress', 'Egress'],
      ingress: postgresIngress,
      egress: postgresEgress,
    });

    if (config.profile === 'kind') {
      policy(POSTGRES_EXPORTER, {
        podSelector: { matchLabels: selectorLabels(POSTGRES_EXPORTER) },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: prometheusPeers(config), ports: tcp(POSTGRES_EXPORTER_PORT) }],
        egress: [POSTGRES_EGRESS],
      });
    }

    policy('migrate', {
      podSelector: { matchLabels: selectorLabels('migrate') },
      policyTypes: ['Egress'],
      egress: [POSTGRES_EGRESS],
    });
    if (config.redisMode === 'cluster') {
      policy('redis-cluster-create', {
        podSelector: { matchLabels: selectorLabels('redis-cluster-create') },
        policyTypes: ['Egress'],
        egress: [redisEgress(config)],
      });
    }
  }
}
