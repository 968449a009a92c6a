import { servicePort, type ServiceSpec } from '@recio/platform';
import { k8s } from 'cdk8s-plus-31';
import type { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { selectorLabels } from './labels.js';
import {
  ANY_RECIO_POD,
  ANYWHERE,
  INTERNET,
  namespacePeer,
  podsOf,
  POSTGRES_EGRESS,
  prometheusPeers,
  redisEgress,
  tcp,
} from './network-policy-peers.js';

/**
 * A service's NetworkPolicy, on top of the namespace's default deny: ingress from its callers and
 * Prometheus; egress to Redis, PostgreSQL, and only what else it talks to.
 */
export function serviceNetworkPolicy(
  scope: Construct,
  config: ChartConfig,
  service: ServiceSpec,
): k8s.KubeNetworkPolicy {
  const port = tcp(service.port);
  const ingress: k8s.NetworkPolicyIngressRule[] = [{ from: prometheusPeers(config), ports: port }];
  if (service.ingressFrom === 'ingress-controller')
    ingress.push({ from: [namespacePeer(config.ingressNamespace)], ports: port });
  if (service.ingressFrom === 'services') ingress.push({ from: [ANY_RECIO_POD], ports: port });

  const egress: k8s.NetworkPolicyEgressRule[] = [];
  if (service.env.includes('REDIS_PASSWORD')) egress.push(redisEgress(config));
  if (service.env.includes('DATABASE_URL')) egress.push(POSTGRES_EGRESS);
  if (service.env.includes('EXCHANGE_BASE_URL'))
    egress.push({ to: [podsOf('paper-exchange')], ports: tcp(servicePort('paper-exchange')) });
  if (service.egressInternet) egress.push({ to: [INTERNET], ports: tcp(443) });
  if (service.name === 'main-app')
    egress.push({ to: [podsOf('trade-manager')], ports: tcp(servicePort('trade-manager')) });
  if (service.name === 'health-controller') egress.push({ to: [ANYWHERE], ports: tcp(443, 6443) });

  return new k8s.KubeNetworkPolicy(scope, 'netpol', {
    metadata: { name: service.name, namespace: config.namespace },
    spec: {
      podSelector: { matchLabels: selectorLabels(service.name) },
      policyTypes: ['Ingress', 'Egress'],
      ingress,
      egress,
    },
  });
}
