/**
 * Validates every synthesized object offline against the Kubernetes OpenAPI schemas shipped by
 * kubernetes-models 4.5.1 (generated from Kubernetes 1.27.1: objects valid there use only stable
 * fields that 1.29-1.31 still serve), and each EventConsumer against the CRD's own OpenAPI v3
 * schema with ajv. The schemas do not forbid unknown fields (Kubernetes' own OpenAPI has no
 * additionalProperties: false); typed cdk8s-plus-31 props catch those at compile time instead.
 * CloudNativePG Cluster, ServiceMonitor and PrometheusRule have no schema offline: checked for
 * apiVersion, kind and metadata only.
 */
import { Ajv } from 'ajv';
import * as apiextensionsV1 from 'kubernetes-models/apiextensions.k8s.io/v1';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as rbacV1 from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { CHART_VARIANTS, parseChartConfig } from './config.js';
import { EVENT_CONSUMER_API_VERSION } from './event-consumer-crd.js';
import { synthesizeObjects } from './recio-charts.js';

type Model = new (data: Record<string, unknown>) => { validate(): void };
const MODELS: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  'apps/v1': appsV1,
  'batch/v1': batchV1,
  'networking.k8s.io/v1': networkingV1,
  'policy/v1': policyV1,
  'rbac.authorization.k8s.io/v1': rbacV1,
  'apiextensions.k8s.io/v1': apiextensionsV1,
};
const OPERATOR_KINDS = new Set(['postgresql.cnpg.io/v1/Cluster', 'monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PrometheusRule']);

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

describe.each(CHART_VARIANTS)('$profile-$redisMode objects', (variant) => {
  const objs = synthesizeObjects(parseChartConfig(variant)) as Obj[];

  it('validate against the Kubernetes OpenAPI schemas', () => {
    const failures: string[] = [];
    for (const o of objs) {
      const id = `${o.apiVersion}/${o.kind}`;
      if (OPERATOR_KINDS.has(id) || o.apiVersion === EVENT_CONSUMER_API_VERSION) continue;
      const model = MODELS[o.apiVersion]?.[o.kind] as Model | undefined;
      if (model === undefined) {
        failures.push(`${id} ${o.metadata.name}: no schema`);
        continue;
      }
      try {
        new model(o).validate();
      } catch (err) {
        failures.push(`${id} ${o.metadata.name}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('EventConsumers validate against the CRD schema', () => {
    const crd = objs.find((o) => o.kind === 'CustomResourceDefinition') as unknown as {
      spec: { versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] };
    };
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('date-time', true);
    const validate = ajv.compile(crd.spec.versions[0]!.schema.openAPIV3Schema);
    const consumers = objs.filter((o) => o.apiVersion === EVENT_CONSUMER_API_VERSION);
    expect(consumers.length).toBeGreaterThan(0);
    for (const ec of consumers) expect(validate(ec) ? [] : validate.errors, ec.metadata.name).toEqual([]);
    expect(validate({ apiVersion: EVENT_CONSUMER_API_VERSION, kind: 'EventConsumer', metadata: {}, spec: { group: 'x', channels: ['bad'] } })).toBe(false);
  });

  it('operator resources name their API and object', () => {
    for (const o of objs.filter((x) => OPERATOR_KINDS.has(`${x.apiVersion}/${x.kind}`))) {
      expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(o.metadata.namespace).toBe('recio');
      expect(o['spec']).toBeTypeOf('object');
    }
  });
});
