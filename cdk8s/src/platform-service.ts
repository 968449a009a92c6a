import type { ServiceSpec } from '@recio/platform';
import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { serviceImage } from './images.js';
import { componentLabels, selectorLabels } from './labels.js';
import { servicePortName } from './metrics-ports.js';
import { podDisruptionBudget, resources, restrictedContainer, spreadPods } from './pod-helpers.js';
import { serviceEnv, serviceSecretFiles } from './service-env.js';
import { serviceNetworkPolicy } from './service-network-policy.js';

/** Seconds the pod is given beyond the drain deadline before SIGKILL. */
export const GRACE_MARGIN_SECONDS = 10;
const APP_UID = 10001; // the non-root user of the root Dockerfile

/** Props of {@link PlatformService}. */
export interface PlatformServiceProps {
  config: ChartConfig;
  service: ServiceSpec;
  /** Data of the env ConfigMap (which variables it can fill). */
  envConfig: Record<string, string>;
}

/** One service: ServiceAccount, Deployment, Service, PodDisruptionBudget and NetworkPolicy. */
export class PlatformService extends Construct {
  constructor(scope: Construct, id: string, props: PlatformServiceProps) {
    super(scope, id);
    const { config, service } = props;
    const ns = config.namespace;
    const name = service.name;
    const labels = componentLabels(name);
    const replicas = config.profile === 'cloud' ? service.cloudReplicas : 1;
    const portName = servicePortName(service);
    const port = k8s.IntOrString.fromString(portName);
    // Only the controller talks to the API server.
    const needsApi = name === 'health-controller';

    new k8s.KubeServiceAccount(this, 'sa', {
      metadata: { name, namespace: ns, labels },
      automountServiceAccountToken: needsApi,
    });
    new k8s.KubeService(this, 'service', {
      metadata: { name, namespace: ns, labels },
      spec: { selector: selectorLabels(name), ports: [{ name: portName, port: service.port, targetPort: port }] },
    });
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name, namespace: ns, labels },
      spec: {
        replicas,
        revisionHistoryLimit: 5,
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) },
        },
        selector: { matchLabels: selectorLabels(name) },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: needsApi,
            affinity: spreadPods(config, name, { hardInCloud: false }),
            terminationGracePeriodSeconds: config.drainDeadlineSeconds + GRACE_MARGIN_SECONDS,
            securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name,
                image: serviceImage(config, name),
                imagePullPolicy: 'IfNotPresent',
                command: [...service.command],
                ports: [{ name: portName, containerPort: service.port }],
                env: serviceEnv(config, service, props.envConfig),
                resources: resources('100m', '128Mi', '256Mi'),
                securityContext: restrictedContainer(APP_UID),
                startupProbe: { httpGet: { path: '/healthz', port }, periodSeconds: 2, failureThreshold: 30 },
                livenessProbe: { httpGet: { path: '/healthz', port }, periodSeconds: 10, failureThreshold: 3 },
                readinessProbe: { httpGet: { path: '/readyz', port }, periodSeconds: 5, failureThreshold: 2 },
                volumeMounts: [
                  { name: 'tmp', mountPath: '/tmp' },
                  ...serviceSecretFiles(service).map((f) => ({ name: f.secret, mountPath: f.dir, readOnly: true })),
                ],
              },
            ],
            volumes: [
              { name: 'tmp', emptyDir: {} },
              ...serviceSecretFiles(service).map((f) => ({
                name: f.secret,
                secret: { secretName: f.secret, defaultMode: 0o444 },
              })),
            ],
          },
        },
      },
    });
    podDisruptionBudget(this, name, ns, replicas > 1 ? { minAvailable: replicas - 1 } : { maxUnavailable: 1 });
    serviceNetworkPolicy(this, config, service);
  }
}
