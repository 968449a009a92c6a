import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { serviceImage } from './images.js';
import { componentLabels } from './labels.js';
import { resources, restrictedContainer } from './pod-helpers.js';
import { databaseUrlSecret } from './postgres.js';

/**
 * Runs `recio migrate` from the relay's image. node-pg-migrate takes an advisory lock, so a re-run
 * (or a second Job racing it) is safe; services wait in /readyz until their tables exist.
 */
export class MigrationsJob extends Construct {
  constructor(scope: Construct, id: string, config: ChartConfig) {
    super(scope, id);
    const labels = componentLabels('migrate');
    const db = databaseUrlSecret(config);
    new k8s.KubeJob(this, 'job', {
      metadata: { name: `migrate-${config.imageTag.replace(/[^a-z0-9-]/gi, '-').toLowerCase()}`, namespace: config.namespace, labels },
      spec: {
        backoffLimit: 6,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'OnFailure',
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'migrate',
                image: serviceImage(config, 'relay'),
                command: ['node', 'router/dist/cli/main.js', 'migrate'],
                env: [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: db.name, key: db.key } } }],
                resources: resources('100m', '128Mi', '256Mi'),
                securityContext: restrictedContainer(10001),
              },
            ],
          },
        },
      },
    });
  }
}
