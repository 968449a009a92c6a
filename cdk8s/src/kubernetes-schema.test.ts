/**
 * Validates every synthesized object offline: Kubernetes' own kinds against the OpenAPI schemas
 * shipped by kubernetes-models 5 (generated from Kubernetes 1.27.1: objects valid there use only
 * stable fields that 1.29-1.31 still serve); the operators' kinds against their CRDs' schemas as
 * packaged by the same project (@kubernetes-models/cloudnative-pg for the CloudNativePG Cluster,
 * @kubernetes-models/prometheus-operator for ServiceMonitor and PrometheusRule); each EventConsumer
 * against our CRD's own OpenAPI v3 schema with ajv. Kubernetes' OpenAPI does not forbid unknown
 * fields; typed cdk8s-plus-31 props catch those at compile time instead.
 */
import { Ajv } from 'ajv';
import * as cnpgV1 from '@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1';
import * as monitoringV1 from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
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
  'postgresql.cnpg.io/v1': cnpgV1,
  'monitoring.coreos.com/v1': monitoringV1,
};

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

describe.each(CHART_VARIANTS)('$profile-$redisMode objects', (variant) => {
  const objs = synthesizeObjects(parseChartConfig(variant)) as Obj[];

  it('validate against the Kubernetes OpenAPI schemas', () => {
    const failures: string[] = [];
    for (const o of objs) {
      const id = `${o.apiVersion}/${o.kind}`;
      if (o.apiVersion === EVENT_CONSUMER_API_VERSION) continue;
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
    expect(
      validate({
        apiVersion: EVENT_CONSUMER_API_VERSION,
        kind: 'EventConsumer',
        metadata: {},
        spec: { group: 'x', channels: ['bad'] },
      }),
    ).toBe(false);
  });

  it('operator resources are checked against their schemas, which can fail', () => {
    const cluster = objs.find((o) => o.kind === 'Cluster');
    if (variant.profile === 'cloud') {
      const Cluster = cnpgV1.Cluster as unknown as Model;
      expect(() => new Cluster(cluster!).validate()).not.toThrow();
      // a role attribute of the wrong type is refused: the schema is really applied
      const spec = cluster!['spec'] as { managed: { roles: Record<string, unknown>[] } };
      const bad = { ...cluster!, spec: { ...spec, managed: { roles: [{ ...spec.managed.roles[0], login: 'yes' }] } } };
      expect(() => new Cluster(bad).validate()).toThrow();
    } else expect(cluster).toBeUndefined();
    const rule = objs.find((o) => o.kind === 'PrometheusRule')!;
    const PrometheusRule = monitoringV1.PrometheusRule as unknown as Model;
    expect(() => new PrometheusRule({ ...rule, spec: { groups: [{ rules: [] }] } }).validate()).toThrow(); // a group needs a name
  });
});
