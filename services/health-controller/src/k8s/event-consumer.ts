import { CHANNEL_CLASSES, channelClass, isChannelOrPattern } from '@recio/contract';
import { z } from 'zod';
import type { ControlledGroup } from '../controller.js';
import { DNS_SUBDOMAIN } from './api.js';

/** Where EventConsumers live in the API (cdk8s/src/event-consumer-crd.ts declares them). */
export const EVENT_CONSUMERS = { group: 'recio.dev', version: 'v1alpha1', plural: 'eventconsumers' } as const;
export const EVENT_CONSUMER_API_VERSION = `${EVENT_CONSUMERS.group}/${EVENT_CONSUMERS.version}`;

/** One status condition (Kubernetes API conventions). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** Changes only when `status` does. */
  lastTransitionTime: string;
}

/** An EventConsumer's status: the fields of the CRD's status schema, nothing else (the API server prunes the rest). */
export interface EventConsumerStatus {
  state?: 'Unknown' | 'OK' | 'SLOW' | 'STALLED';
  lag?: number;
  pending?: number;
  lagSeconds?: number;
  observedAt?: string;
  restarts?: number;
  conditions?: Condition[];
}

/** An EventConsumer as the API returns it (spec unchecked: see {@link parseEventConsumerSpec}). */
export interface EventConsumerObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; generation?: number };
  spec?: unknown;
  status?: EventConsumerStatus;
}

// The CRD's own constraints (cdk8s/src/event-consumer-crd.ts, EVENT_CONSUMER_SCHEMA), checked again:
// an object stored before its CRD's schema tightened is not checked again by the API server.
// event-consumer.test.ts holds them against the CRD that ships.
const CRD_GROUP = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CRD_CHANNEL = /^[a-z][a-z0-9-]*:(\*|[a-z0-9][a-z0-9_.-]*\*?)$/;

const channel = z
  .string()
  .regex(CRD_CHANNEL, 'expected a channel or class:prefix* pattern (the CRD pattern)')
  .refine(isChannelOrPattern, 'not a channel or pattern of the platform grammar (<class>:<name> or <class>:<prefix>*)')
  .refine((c) => Object.hasOwn(CHANNEL_CLASSES, channelClass(c)), {
    error: (issue) => `unknown channel class ${JSON.stringify(channelClass(String(issue.input)))}`,
  });

/** An EventConsumer's spec: the CRD's constraints, channels of the platform's grammar and classes, a Deployment name. */
export const eventConsumerSpecSchema = z.object({
  group: z.string().min(1).max(63).regex(CRD_GROUP, 'expected a DNS label'),
  channels: z.array(channel).min(1),
  deployment: z.string().regex(DNS_SUBDOMAIN, 'expected a Deployment name (a DNS-1123 subdomain)'),
  maxLagSeconds: z.int().min(1),
  maxPending: z.int().min(1),
  stallWindowSeconds: z.int().min(5),
});

/** The group an EventConsumer declares, or why its spec is refused (one line per problem, field first). */
export function parseEventConsumerSpec(spec: unknown): { group: ControlledGroup } | { problems: string[] } {
  const parsed = eventConsumerSpecSchema.safeParse(spec);
  if (!parsed.success)
    return {
      problems: parsed.error.issues.map(
        (i) => `spec${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${i.message}`,
      ),
    };
  const s = parsed.data;
  return {
    group: {
      name: s.group,
      channels: s.channels,
      deployment: s.deployment,
      maxLagSeconds: s.maxLagSeconds,
      maxPending: s.maxPending,
      stallWindowSeconds: s.stallWindowSeconds,
    },
  };
}
