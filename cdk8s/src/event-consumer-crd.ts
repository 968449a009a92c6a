import { ApiObject, type ApiObjectMetadata } from 'cdk8s';
import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';

/** API group and version of the project's own resources. */
export const RECIO_API_GROUP = 'recio.dev';
export const EVENT_CONSUMER_API_VERSION = `${RECIO_API_GROUP}/v1alpha1`;

/** Desired thresholds of one consumer group (ARCHITECTURE "Health controller"). */
export interface EventConsumerSpec {
  /** Consumer group name. */
  group: string;
  /** Channels or `class:prefix*` patterns the group reads. */
  channels: string[];
  /** Deployment whose pods run the group (the controller restarts them). */
  deployment: string;
  /** Lag above which the group is reported. */
  maxLagSeconds: number;
  /** Pending entries above which the group is reported. */
  maxPending: number;
  /** Window over which a group without progress is STALLED. */
  stallWindowSeconds: number;
}

/** An EventConsumer resource; its status is written by the health controller. */
export class EventConsumer extends ApiObject {
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: EventConsumerSpec }) {
    super(scope, id, {
      apiVersion: EVENT_CONSUMER_API_VERSION,
      kind: 'EventConsumer',
      metadata: props.metadata,
      spec: props.spec,
    });
  }
}

const int = (minimum: number, description: string): k8s.JsonSchemaProps => ({ type: 'integer', minimum, description });

/** The OpenAPI v3 schema of an EventConsumer: spec (desired thresholds) and status (observed state). */
export const EVENT_CONSUMER_SCHEMA: k8s.JsonSchemaProps = {
  type: 'object',
  required: ['spec'],
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['group', 'channels', 'deployment', 'maxLagSeconds', 'maxPending', 'stallWindowSeconds'],
      properties: {
        group: {
          type: 'string',
          minLength: 1,
          maxLength: 63,
          pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
          description: 'Consumer group name.',
        },
        channels: {
          type: 'array',
          minItems: 1,
          items: { type: 'string', pattern: '^[a-z][a-z0-9-]*:(\\*|[a-z0-9][a-z0-9_.-]*\\*?)$' },
          description: 'Channels or class:prefix* patterns the group reads.',
        },
        deployment: {
          type: 'string',
          minLength: 1,
          maxLength: 253,
          // a DNS subdomain, as a Deployment's name: refused at apply time, not first by the controller
          pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
          description: 'Deployment whose pods run the group.',
        },
        maxLagSeconds: int(1, 'Lag above which the group is reported.'),
        maxPending: int(1, 'Pending entries above which the group is reported.'),
        stallWindowSeconds: int(5, 'Window over which a group without progress is STALLED.'),
      },
    },
    status: {
      type: 'object',
      properties: {
        state: { type: 'string', enum: ['Unknown', 'OK', 'SLOW', 'STALLED'] },
        lag: int(0, 'Entries not yet delivered to the group.'),
        pending: int(0, 'Entries delivered but not acknowledged.'),
        lagSeconds: { type: 'number', minimum: 0 },
        observedAt: { type: 'string', format: 'date-time' },
        restarts: int(0, 'Pods the controller restarted for this group.'),
        conditions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type', 'status'],
            properties: {
              type: { type: 'string' },
              status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
              reason: { type: 'string' },
              message: { type: 'string' },
              lastTransitionTime: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
    },
  },
};

/** The EventConsumer CustomResourceDefinition (namespaced, status subresource, printer columns). */
export class EventConsumerCrd extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new k8s.KubeCustomResourceDefinition(this, 'crd', {
      metadata: { name: `eventconsumers.${RECIO_API_GROUP}` },
      spec: {
        group: RECIO_API_GROUP,
        scope: 'Namespaced',
        names: { plural: 'eventconsumers', singular: 'eventconsumer', kind: 'EventConsumer', shortNames: ['ec'] },
        versions: [
          {
            name: 'v1alpha1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: { openApiv3Schema: EVENT_CONSUMER_SCHEMA },
            additionalPrinterColumns: [
              { name: 'Group', type: 'string', jsonPath: '.spec.group' },
              { name: 'State', type: 'string', jsonPath: '.status.state' },
              { name: 'Lag', type: 'integer', jsonPath: '.status.lag' },
              { name: 'Pending', type: 'integer', jsonPath: '.status.pending' },
            ],
          },
        ],
      },
    });
  }
}
