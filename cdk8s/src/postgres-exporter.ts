import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { POSTGRES_EXPORTER_IMAGE } from './images.js';
import { METRICS_PORT_NAME, POSTGRES_EXPORTER_PORT } from './metrics-ports.js';
import { oneReplicaTool, resources, restrictedContainer } from './pod-helpers.js';
import { DATABASE_NAME, postgresHost } from './postgres.js';

/** The exporter's component name (Deployment, pods, NetworkPolicy). */
export const POSTGRES_EXPORTER = 'postgres-exporter';
/** The role postgres_exporter connects as: LOGIN and membership of `pg_monitor`, nothing else. */
export const MONITOR_ROLE = 'recio_monitor';
/**
 * Secret of {@link MONITOR_ROLE} (type kubernetes.io/basic-auth: `username`, `password`); created at
 * deploy time, read by the exporter and by the migrations Job's database-roles step, which owns the role.
 */
export const MONITOR_ROLE_SECRET = 'recio-db-monitor';
const EXPORTER_UID = 65534; // nobody, the user of the official image

/**
 * postgres_exporter's environment (variables both 0.11 and the pinned image read). It reaches the
 * server through its Service, so with a password over the pod network: a sidecar would come in
 * over loopback, which the official postgres image trusts for every role, the owner included.
 */
export function postgresExporterEnv(config: ChartConfig): k8s.EnvVar[] {
  return [
    // kind's PostgreSQL serves no TLS.
    { name: 'DATA_SOURCE_URI', value: `${postgresHost(config)}:5432/${DATABASE_NAME}?sslmode=disable` },
    { name: 'DATA_SOURCE_USER', value: MONITOR_ROLE },
    { name: 'DATA_SOURCE_PASS', valueFrom: { secretKeyRef: { name: MONITOR_ROLE_SECRET, key: 'password' } } },
    { name: 'PG_EXPORTER_WEB_LISTEN_ADDRESS', value: `:${POSTGRES_EXPORTER_PORT}` },
  ];
}

/** postgres_exporter for the kind profile's PostgreSQL: one pod, port `metrics` (9187), and its Service (Prometheus' target). */
export class PostgresExporter extends Construct {
  constructor(scope: Construct, id: string, config: ChartConfig) {
    super(scope, id);
    const port = k8s.IntOrString.fromString(METRICS_PORT_NAME);
    oneReplicaTool(this, {
      name: POSTGRES_EXPORTER,
      namespace: config.namespace,
      port: { name: METRICS_PORT_NAME, port: POSTGRES_EXPORTER_PORT },
      containers: [
        {
          name: 'exporter',
          image: POSTGRES_EXPORTER_IMAGE,
          env: postgresExporterEnv(config),
          ports: [{ name: METRICS_PORT_NAME, containerPort: POSTGRES_EXPORTER_PORT }],
          resources: resources('20m', '32Mi', '64Mi'),
          securityContext: restrictedContainer(EXPORTER_UID),
          // The port answers whether PostgreSQL does or not (pg_up says which).
          readinessProbe: { tcpSocket: { port }, periodSeconds: 10 },
          livenessProbe: { tcpSocket: { port }, initialDelaySeconds: 10, periodSeconds: 20 },
        },
      ],
    });
  }
}
