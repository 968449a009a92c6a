import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { CNPG_POSTGRES_IMAGE, POSTGRES_IMAGE } from './images.js';
import { componentLabels, selectorLabels } from './labels.js';
import { dataVolumeClaim, resources, spreadPods } from './pod-helpers.js';

/** Secret with the kind PostgreSQL superuser password (key `password`); created at deploy time. */
export const POSTGRES_SECRET = 'recio-postgres';
/**
 * Where DATABASE_URL comes from: in kind a Secret created at deploy time; in cloud the `<cluster>-app`
 * Secret CloudNativePG creates for the application owner (key `uri`).
 */
export function databaseUrlSecret(config: ChartConfig): { name: string; key: string; createdBy: 'deploy' | 'operator' } {
  return config.profile === 'cloud' ? { name: 'postgres-app', key: 'uri', createdBy: 'operator' } : { name: 'recio-database', key: 'url', createdBy: 'deploy' };
}

/** PostgreSQL: one StatefulSet with a PVC in kind; a 3-instance CloudNativePG Cluster in cloud. */
export class Postgres extends Construct {
  constructor(scope: Construct, id: string, config: ChartConfig) {
    super(scope, id);
    if (config.profile === 'cloud') this.cloudNativePg(config);
    else this.statefulSet(config);
  }

  private cloudNativePg(config: ChartConfig): void {
    new ApiObject(this, 'cluster', {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'postgres', namespace: config.namespace, labels: componentLabels('postgres') },
      spec: {
        instances: 3,
        imageName: CNPG_POSTGRES_IMAGE,
        primaryUpdateStrategy: 'unsupervised',
        // Instance pods carry our selector labels, so NetworkPolicies treat both profiles alike.
        inheritedMetadata: { labels: selectorLabels('postgres') },
        // The operator spreads instances; "required" keeps two of them off one node.
        affinity: { enablePodAntiAffinity: true, podAntiAffinityType: 'required', topologyKey: 'kubernetes.io/hostname' },
        bootstrap: { initdb: { database: 'recio', owner: 'recio' } },
        storage: { size: '20Gi', ...(config.storageClassName !== undefined ? { storageClass: config.storageClassName } : {}) },
        resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
      },
    });
  }

  private statefulSet(config: ChartConfig): void {
    const ns = config.namespace;
    const labels = componentLabels('postgres');
    new k8s.KubeService(this, 'service', {
      metadata: { name: 'postgres', namespace: ns, labels },
      spec: { selector: selectorLabels('postgres'), ports: [{ name: 'postgres', port: 5432, targetPort: k8s.IntOrString.fromNumber(5432) }] },
    });
    const ready = { exec: { command: ['pg_isready', '-U', 'recio', '-d', 'recio'] } };
    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: { name: 'postgres', namespace: ns, labels },
      spec: {
        serviceName: 'postgres',
        replicas: 1,
        selector: { matchLabels: selectorLabels('postgres') },
        template: {
          metadata: { labels },
          spec: {
            affinity: spreadPods(config, 'postgres'),
            automountServiceAccountToken: false,
            securityContext: { fsGroup: 999, runAsUser: 999, runAsNonRoot: true },
            terminationGracePeriodSeconds: 60,
            containers: [
              {
                name: 'postgres',
                image: POSTGRES_IMAGE,
                ports: [{ name: 'postgres', containerPort: 5432 }],
                env: [
                  { name: 'POSTGRES_USER', value: 'recio' },
                  { name: 'POSTGRES_DB', value: 'recio' },
                  { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: POSTGRES_SECRET, key: 'password' } } },
                  { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
                ],
                resources: resources('250m', '512Mi', '1Gi'),
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
                readinessProbe: { ...ready, periodSeconds: 5 },
                livenessProbe: { ...ready, initialDelaySeconds: 30, periodSeconds: 10 },
                volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
              },
            ],
          },
        },
        volumeClaimTemplates: [dataVolumeClaim(config, 'data', '10Gi')],
      },
    });
  }
}
