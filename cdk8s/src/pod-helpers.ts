import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-31';
import type { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { componentLabels, selectorLabels } from './labels.js';

/**
 * Spreads a component's pods over nodes: required (hard) in the cloud profile for data stores,
 * where losing a node must not take two Redis replicas or two sentinels; preferred in kind, which
 * may have one node, and for stateless services (hard there would stall a surge rollout on a
 * cluster with as many nodes as replicas).
 */
export function spreadPods(
  config: ChartConfig,
  component: string,
  options: { hardInCloud: boolean } = { hardInCloud: true },
): k8s.Affinity {
  const term = { labelSelector: { matchLabels: selectorLabels(component) }, topologyKey: 'kubernetes.io/hostname' };
  if (config.profile === 'cloud' && options.hardInCloud)
    return { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } };
  return {
    podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] },
  };
}

/** A ReadWriteOnce PVC template for a StatefulSet. */
export function dataVolumeClaim(config: ChartConfig, name: string, size: string): k8s.KubePersistentVolumeClaimProps {
  return {
    metadata: { name },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(config.storageClassName !== undefined ? { storageClassName: config.storageClassName } : {}),
      resources: { requests: { storage: k8s.Quantity.fromString(size) } },
    },
  };
}

/** CPU and memory requests with a memory limit (no CPU limit: throttling hurts latency more than it protects). */
export function resources(cpu: string, memory: string, memoryLimit: string): k8s.ResourceRequirements {
  return {
    requests: { cpu: k8s.Quantity.fromString(cpu), memory: k8s.Quantity.fromString(memory) },
    limits: { memory: k8s.Quantity.fromString(memoryLimit) },
  };
}

/** A non-root, read-only-root container security context with every capability dropped. */
export function restrictedContainer(uid: number): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The pod's name and namespace from the downward API (logs, consumer names, leases). */
export function downwardEnv(): k8s.EnvVar[] {
  return [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  ];
}

/** A PodDisruptionBudget keeping `minAvailable` of a component's pods through voluntary disruptions. */
export function podDisruptionBudget(
  scope: Construct,
  component: string,
  namespace: string,
  budget: { minAvailable: number } | { maxUnavailable: number },
): k8s.KubePodDisruptionBudget {
  const spec =
    'minAvailable' in budget
      ? { minAvailable: k8s.IntOrString.fromNumber(budget.minAvailable) }
      : { maxUnavailable: k8s.IntOrString.fromNumber(budget.maxUnavailable) };
  return new k8s.KubePodDisruptionBudget(scope, `${component}-pdb`, {
    metadata: { name: component, namespace, labels: selectorLabels(component) },
    spec: { ...spec, selector: { matchLabels: selectorLabels(component) } },
  });
}

/**
 * A pod annotation holding a hash of the ConfigMap data its containers read once at start: a change
 * to the data changes the pod template, so the Deployment rolls.
 */
export function configHashAnnotation(data: Record<string, string>): Record<string, string> {
  return { 'recio.dev/config-hash': createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 16) };
}

/** What {@link oneReplicaTool} runs. */
export interface OneReplicaToolProps {
  /** Component name: the Deployment's, the Service's and their labels'. */
  name: string;
  namespace: string;
  /** The Service's one port, to the container port of the same name. */
  port: { name: string; port: number };
  /** Pod annotations (a config hash, so the pod restarts when its ConfigMap changes). */
  annotations?: Record<string, string>;
  containers: k8s.Container[];
  volumes?: k8s.Volume[];
}

/**
 * A tool the kind profile runs beside the platform (Prometheus, Grafana, postgres_exporter): one
 * replica, its Service on one named port, no API token, non-root under the runtime's seccomp profile.
 */
export function oneReplicaTool(scope: Construct, props: OneReplicaToolProps): void {
  const labels = componentLabels(props.name);
  const metadata = { name: props.name, namespace: props.namespace, labels };
  new k8s.KubeService(scope, 'service', {
    metadata,
    spec: {
      selector: selectorLabels(props.name),
      ports: [{ ...props.port, targetPort: k8s.IntOrString.fromString(props.port.name) }],
    },
  });
  new k8s.KubeDeployment(scope, 'deployment', {
    metadata,
    spec: {
      replicas: 1,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selectorLabels(props.name) },
      template: {
        metadata: { labels, ...(props.annotations ? { annotations: props.annotations } : {}) },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: props.containers,
          ...(props.volumes ? { volumes: props.volumes } : {}),
        },
      },
    },
  });
}
