// The Kubernetes objects that ship (charts/, synthesized from cdk8s/ and kept in sync by CI),
// read by the fake API server and the tests: the EventConsumer CRD's schema, the controller's
// Role, and the EventConsumers of the catalogue. What the fake enforces is what a cluster gets.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import type { OpenApiSchema } from './openapi-schema.js';

const CHART = fileURLToPath(new URL('../../../charts/kind-sentinel/', import.meta.url));

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

// Plain YAML: client-node's loadAllYaml turns objects into its models, which rename fields (`enum` → `_enum`).
const load = (file: string): Manifest[] => yaml.loadAll(readFileSync(`${CHART}${file}`, 'utf8')) as Manifest[];

/** The shipped EventConsumer CRD's v1alpha1 schema. */
export function eventConsumerSchema(): OpenApiSchema {
  const crd = load('00-namespace.k8s.yaml').find(
    (m) => m.kind === 'CustomResourceDefinition' && m.metadata.name === 'eventconsumers.recio.dev',
  ) as { spec: { versions: { name: string; schema: { openAPIV3Schema: OpenApiSchema } }[] } } | undefined;
  const version = crd?.spec.versions.find((v) => v.name === 'v1alpha1');
  if (!version) throw new Error('charts: no EventConsumer CRD v1alpha1');
  return version.schema.openAPIV3Schema;
}

/** One rule of a Role. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** The rules of the health controller's Role. */
export function healthControllerRules(): PolicyRule[] {
  const role = load('30-platform.k8s.yaml').find((m) => m.kind === 'Role' && m.metadata.name === 'health-controller');
  if (!role) throw new Error('charts: no health-controller Role');
  return role.rules as PolicyRule[];
}

/** The catalogue's EventConsumers as they ship. */
export function shippedEventConsumers(): Manifest[] {
  return load('40-event-consumers.k8s.yaml').filter((m) => m.kind === 'EventConsumer');
}
