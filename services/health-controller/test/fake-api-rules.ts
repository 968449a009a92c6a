// The API server's rules for what the fake API server (fake-api-server.ts) is asked to write:
// its errors (a metav1.Status), merge patches, and the validation of each kind it stores.
import type { StoredObject } from './fake-api-store.js';
import { validate, type OpenApiSchema } from './openapi-schema.js';

const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
// metav1.MicroTime is parsed with RFC3339Micro: exactly six fractional digits.
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

/** A failure the API server answers with a Status of this code and reason. */
export class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** A metav1.Status of a failure. */
export function statusBody(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The API server's validation of what is written, per kind (400 for a body it cannot decode). */
export function checkWrite(key: string, o: StoredObject, schema: OpenApiSchema): void {
  const invalid = (errors: string[]) => {
    if (errors.length > 0)
      throw new HttpError(422, 'Invalid', `${o.kind} "${o.metadata.name}" is invalid: ${errors.join(', ')}`);
  };
  if (key === 'coordination.k8s.io/leases') {
    const spec = isObject(o.spec) ? o.spec : {};
    for (const f of ['acquireTime', 'renewTime'])
      if (spec[f] !== undefined && (typeof spec[f] !== 'string' || !MICRO_TIME.test(spec[f])))
        throw new HttpError(
          400,
          'BadRequest',
          `Lease in version "v1" cannot be handled as a Lease: parsing time ${JSON.stringify(spec[f])} as "2006-01-02T15:04:05.000000Z07:00"`,
        );
    const errors: string[] = [];
    const d = spec.leaseDurationSeconds;
    if (d !== undefined && (!Number.isInteger(d) || (d as number) <= 0))
      errors.push('spec.leaseDurationSeconds: Invalid value: must be greater than 0');
    const t = spec.leaseTransitions;
    if (t !== undefined && (!Number.isInteger(t) || (t as number) < 0))
      errors.push('spec.leaseTransitions: Invalid value: must be greater than or equal to 0');
    invalid(errors);
  }
  if (key === 'events.k8s.io/events') {
    const e = o as Record<string, unknown>;
    if (typeof e.eventTime !== 'string' || !MICRO_TIME.test(e.eventTime))
      throw new HttpError(
        400,
        'BadRequest',
        `Event in version "v1" cannot be handled as a Event: parsing time ${JSON.stringify(e.eventTime)}`,
      );
    const errors: string[] = [];
    const text = (f: string, max: number) => {
      const v = e[f];
      if (typeof v !== 'string' || v.length === 0) errors.push(`${f}: Required value`);
      else if (v.length > max) errors.push(`${f}: Too long: may not be more than ${max} bytes`);
    };
    text('reportingController', 253);
    if (typeof e.reportingController === 'string' && !QUALIFIED_NAME.test(e.reportingController))
      errors.push('reportingController: Invalid value: must be a qualified name');
    text('reportingInstance', 128);
    text('action', 128);
    text('reason', 128);
    if (e.type !== 'Normal' && e.type !== 'Warning')
      errors.push(`type: Invalid value: has invalid value: ${String(e.type)}`);
    if (typeof e.note === 'string' && e.note.length > 1024)
      errors.push('note: Too long: may not be more than 1024 bytes');
    const regarding = isObject(e.regarding) ? e.regarding : undefined;
    if (!regarding) errors.push('regarding: Required value');
    else if (regarding.namespace !== o.metadata.namespace)
      errors.push('regarding.namespace: Invalid value: does not match event.namespace');
    for (const f of ['deprecatedCount', 'deprecatedSource', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp'])
      if (e[f] !== undefined && e[f] !== 0) errors.push(`${f}: Invalid value: needs to be unset`);
    invalid(errors);
  }
  if (key === 'recio.dev/eventconsumers') invalid(validate(schema, o, ''));
}
