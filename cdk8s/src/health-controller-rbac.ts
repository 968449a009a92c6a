import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { RECIO_API_GROUP } from './event-consumer-crd.js';
import { componentLabels } from './labels.js';

/** The controller's service account (also its Deployment's). */
export const HEALTH_CONTROLLER = 'health-controller';

/**
 * Least privilege, in its own namespace only (a Role, never a ClusterRole): exactly the calls the
 * controller makes (services/health-controller/src/k8s/, whose tests run against a fake API server
 * enforcing this Role): read and delete a member's pod, record Events, hold its leader Lease, list
 * and watch EventConsumers and write their status.
 */
export const HEALTH_CONTROLLER_RULES: k8s.PolicyRule[] = [
  // read a member's pod (its deployment label, its uid), then delete it
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'delete'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  { apiGroups: [RECIO_API_GROUP], resources: ['eventconsumers'], verbs: ['list', 'watch'] },
  // status written with the resourceVersion read (PUT), read again after a 409
  { apiGroups: [RECIO_API_GROUP], resources: ['eventconsumers/status'], verbs: ['get', 'update'] },
];

/** Role and RoleBinding of the health controller. */
export class HealthControllerRbac extends Construct {
  constructor(scope: Construct, id: string, config: ChartConfig) {
    super(scope, id);
    const metadata = {
      name: HEALTH_CONTROLLER,
      namespace: config.namespace,
      labels: componentLabels(HEALTH_CONTROLLER),
    };
    new k8s.KubeRole(this, 'role', { metadata, rules: HEALTH_CONTROLLER_RULES });
    new k8s.KubeRoleBinding(this, 'binding', {
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: HEALTH_CONTROLLER },
      subjects: [{ kind: 'ServiceAccount', name: HEALTH_CONTROLLER, namespace: config.namespace }],
    });
  }
}
