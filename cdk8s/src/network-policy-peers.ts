import { k8s } from 'cdk8s-plus-31';
import type { ChartConfig } from './config.js';
import { PART_OF } from './labels.js';
import { PROMETHEUS } from './prometheus-config.js';

/** Any pod of the platform in this namespace. */
export const ANY_RECIO_POD: k8s.NetworkPolicyPeer = {
  podSelector: { matchLabels: { 'app.kubernetes.io/part-of': PART_OF } },
};

/** Pods of the given components. */
export function podsOf(...components: string[]): k8s.NetworkPolicyPeer {
  return { podSelector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: components }] } };
}

/** Every pod of another namespace, by its name label. */
export function namespacePeer(namespace: string): k8s.NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } };
}

/**
 * Where Prometheus scrapes from: the monitoring namespace (prometheus-operator's, in cloud and in any
 * cluster that has one) and, in kind, the charts' own Prometheus in this namespace.
 */
export function prometheusPeers(config: ChartConfig): k8s.NetworkPolicyPeer[] {
  const peers = [namespacePeer(config.monitoringNamespace)];
  if (config.profile === 'kind') peers.push(podsOf(PROMETHEUS));
  return peers;
}

/** TCP ports. */
export function tcp(...ports: number[]): k8s.NetworkPolicyPort[] {
  return ports.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
}

/** Public internet addresses (private ranges excluded, so "internet" never means other pods). */
export const INTERNET: k8s.NetworkPolicyPeer = {
  ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] },
};

/** Any address: the API server's address is not a pod, so its egress rule cannot select it better. */
export const ANYWHERE: k8s.NetworkPolicyPeer = { ipBlock: { cidr: '0.0.0.0/0' } };

/** Where this configuration's Redis listens: pods and ports. */
export function redisEgress(config: ChartConfig): k8s.NetworkPolicyEgressRule {
  return config.redisMode === 'sentinel'
    ? { to: [podsOf('redis', 'sentinel')], ports: tcp(6379, 26379) }
    : { to: [podsOf('redis-cluster')], ports: tcp(6379) };
}

/** PostgreSQL: the StatefulSet (kind) or the CloudNativePG instances (cloud), both labelled `postgres`. */
export const POSTGRES_EGRESS: k8s.NetworkPolicyEgressRule = { to: [podsOf('postgres')], ports: tcp(5432) };
