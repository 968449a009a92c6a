import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import { databaseRoleName, databaseServices, type ServiceSpec } from '@recio/platform';
import type { ChartConfig } from './config.js';
import { CNPG_POSTGRES_IMAGE, POSTGRES_IMAGE } from './images.js';
import { componentLabels, selectorLabels } from './labels.js';
import { dataVolumeClaim, resources, spreadPods } from './pod-helpers.js';

/** Secret with the kind PostgreSQL superuser password (key `password`); created at deploy time. */
export const POSTGRES_SECRET = 'recio-postgres';
/** The database every service uses. */
export const DATABASE_NAME = 'recio';

/**
 * The owner's connection string (the migrations and the database-roles step, nothing else): in kind
 * a Secret created at deploy time; in cloud the `<cluster>-app` Secret CloudNativePG creates for the
 * database's owner (key `uri`).
 */
export function ownerUrlSecret(config: ChartConfig): { name: string; key: string; createdBy: 'deploy' | 'operator' } {
  return config.profile === 'cloud'
    ? { name: 'postgres-app', key: 'uri', createdBy: 'operator' }
    : { name: 'recio-database', key: 'url', createdBy: 'deploy' };
}

/** The Service in front of the primary: ours in kind, CloudNativePG's read-write Service in cloud. */
export function postgresHost(config: ChartConfig): string {
  return config.profile === 'cloud' ? 'postgres-rw' : 'postgres';
}

/**
 * Secret of one service's PostgreSQL role (type kubernetes.io/basic-auth: `username` is the role,
 * `password` its password); created at deploy time, read by CloudNativePG's managed roles in cloud
 * and by the database-roles step in kind.
 */
export function databaseRoleSecret(serviceName: string): string {
  return `recio-db-${serviceName}`;
}

/**
 * PostgreSQL: one StatefulSet with a PVC in kind; a 3-instance CloudNativePG Cluster in cloud, which
 * also owns the services' roles (LOGIN only, passwords from their Secrets; grants are the
 * database-roles step's).
 */
export class Postgres extends Construct {
  constructor(scope: Construct, id: string, config: ChartConfig, services: readonly ServiceSpec[]) {
    super(scope, id);
    if (config.profile === 'cloud') this.cloudNativePg(config, services);
    else this.statefulSet(config);
  }

  private cloudNativePg(config: ChartConfig, services: readonly ServiceSpec[]): void {
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
        affinity: {
          enablePodAntiAffinity: true,
          podAntiAffinityType: 'required',
          topologyKey: 'kubernetes.io/hostname',
        },
        bootstrap: { initdb: { database: DATABASE_NAME, owner: 'recio' } },
        managed: {
          roles: databaseServices(services).map((s) => ({
            name: databaseRoleName(s.name),
            ensure: 'present',
            comment: `recio ${s.name}`,
            login: true,
            superuser: false,
            createdb: false,
            createrole: false,
            replication: false,
            bypassrls: false,
            inherit: false,
            passwordSecret: { name: databaseRoleSecret(s.name) },
          })),
        },
        storage: {
          size: '20Gi',
          ...(config.storageClassName !== undefined ? { storageClass: config.storageClassName } : {}),
        },
        resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
      },
    });
  }

  private statefulSet(config: ChartConfig): void {
    const ns = config.namespace;
    const labels = componentLabels('postgres');
    new k8s.KubeService(this, 'service', {
      metadata: { name: 'postgres', namespace: ns, labels },
      spec: {
        selector: selectorLabels('postgres'),
        ports: [{ name: 'postgres', port: 5432, targetPort: k8s.IntOrString.fromNumber(5432) }],
      },
    });
    const ready = { exec: { command: ['pg_isready', '-U', 'recio', '-d', DATABASE_NAME] } };
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
                  { name: 'POSTGRES_DB', value: DATABASE_NAME },
                  {
                    name: 'POSTGRES_PASSWORD',
                    valueFrom: { secretKeyRef: { name: POSTGRES_SECRET, key: 'password' } },
                  },
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
