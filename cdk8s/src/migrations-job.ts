import { databaseServices, type ServiceSpec } from '@recio/platform';
import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { serviceImage } from './images.js';
import { componentLabels } from './labels.js';
import { resources, restrictedContainer } from './pod-helpers.js';
import { databaseRoleSecret, ownerUrlSecret } from './postgres.js';
import { MONITOR_ROLE, MONITOR_ROLE_SECRET } from './postgres-exporter.js';

/**
 * Where the kind Job reads the roles' passwords: one file per service, named after it, and the
 * monitoring role's, named after the role ({@link MONITOR_ROLE_ENV}).
 */
export const ROLE_PASSWORDS_DIR = '/etc/recio/database-roles';
/**
 * Names the monitoring role to the database-roles step (kind): it creates it (LOGIN, member of
 * `pg_monitor`, nothing else) with the password in `ROLE_PASSWORDS_DIR/<role>`.
 */
export const MONITOR_ROLE_ENV = 'DATABASE_MONITOR_ROLE';

/**
 * Runs `recio migrate` (an init container), then the database-roles step, from the relay's image,
 * both as the database's owner. node-pg-migrate takes an advisory lock, so a re-run (or a second
 * Job racing it) is safe; services wait in /readyz until their tables exist. In kind the step
 * creates the services' roles and postgres_exporter's and sets their passwords from their Secrets;
 * in cloud CloudNativePG creates the services' (and exports itself), and the step retries (the Job's
 * backoff) until they exist.
 */
export class MigrationsJob extends Construct {
  constructor(scope: Construct, id: string, config: ChartConfig, services: readonly ServiceSpec[]) {
    super(scope, id);
    const labels = componentLabels('migrate');
    const db = ownerUrlSecret(config);
    const ownsRoles = config.profile === 'kind';
    const env = [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: db.name, key: db.key } } }];
    const container = (name: string, command: string[], extra: Partial<k8s.Container> = {}): k8s.Container => ({
      name,
      image: serviceImage(config, 'relay'),
      command,
      resources: resources('100m', '128Mi', '256Mi'),
      securityContext: restrictedContainer(10001),
      ...extra,
      env: [...env, ...(extra.env ?? [])],
    });
    new k8s.KubeJob(this, 'job', {
      metadata: {
        name: `migrate-${config.imageTag.replace(/[^a-z0-9-]/gi, '-').toLowerCase()}`,
        namespace: config.namespace,
        labels,
      },
      spec: {
        backoffLimit: 6,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'OnFailure',
            automountServiceAccountToken: false,
            // fsGroup: the password files are group-readable by the job's user only (mode 0440).
            securityContext: { runAsNonRoot: true, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
            initContainers: [container('migrate', ['node', 'router/dist/cli/main.js', 'migrate'])],
            containers: [
              container(
                'database-roles',
                ['node', 'service-kit/dist/database-roles-main.js'],
                ownsRoles
                  ? {
                      env: [
                        { name: 'DATABASE_ROLE_PASSWORDS_DIR', value: ROLE_PASSWORDS_DIR },
                        { name: MONITOR_ROLE_ENV, value: MONITOR_ROLE },
                      ],
                      volumeMounts: [{ name: 'role-passwords', mountPath: ROLE_PASSWORDS_DIR, readOnly: true }],
                    }
                  : {},
              ),
            ],
            ...(ownsRoles
              ? {
                  volumes: [
                    {
                      name: 'role-passwords',
                      projected: {
                        defaultMode: 0o440,
                        sources: [
                          ...databaseServices(services).map((s) => ({
                            secret: { name: databaseRoleSecret(s.name), items: [{ key: 'password', path: s.name }] },
                          })),
                          { secret: { name: MONITOR_ROLE_SECRET, items: [{ key: 'password', path: MONITOR_ROLE }] } },
                        ],
                      },
                    },
                  ],
                }
              : {}),
          },
        },
      },
    });
  }
}
