// What the API server does with a custom resource's structural OpenAPI v3 schema, for the fake
// API server (fake-api-server.ts): prune the fields the schema does not declare, then validate
// what is left. Only the keywords the EventConsumer CRD uses are implemented (type, properties,
// required, items, enum, minimum, minLength, maxLength, pattern, minItems, format date-time, and
// the list-type markers, which change neither); any other keyword in the schema fails loudly, so
// a CRD change that needs more cannot be silently half-checked.

/** The part of an OpenAPI v3 schema the fake understands. */
export interface OpenApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  items?: OpenApiSchema;
  enum?: unknown[];
  minimum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  format?: string;
  description?: string;
}

const KNOWN = new Set([
  'type',
  'properties',
  'required',
  'items',
  'enum',
  'minimum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'format',
  'description',
  // List semantics for server-side apply and merges: no bearing on pruning or validation here.
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
]);

// RFC 3339 as the API server's `date-time` format takes it (strfmt.DateTime).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `value` without the fields `schema` does not declare (an object schema with no `properties`
 * keeps nothing, as the API server's pruning does for a structural schema without
 * x-kubernetes-preserve-unknown-fields).
 */
export function prune(schema: OpenApiSchema, value: unknown): unknown {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`fake API server: schema keyword ${k}`);
  if (schema.type === 'object' && isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const sub = schema.properties?.[k];
      if (sub) out[k] = prune(sub, v);
    }
    return out;
  }
  if (schema.type === 'array' && Array.isArray(value) && schema.items) {
    const items = schema.items;
    return value.map((v) => prune(items, v));
  }
  return value;
}

/** The API server's complaints about `value` (`<path>: <why>`), empty when it is valid. */
export function validate(schema: OpenApiSchema, value: unknown, path: string): string[] {
  const errors: string[] = [];
  const bad = (why: string) => errors.push(`${path}: ${why}`);
  if (value === null || value === undefined) return errors;
  switch (schema.type) {
    case 'object':
      if (!isObject(value)) return [`${path}: Invalid value: must be of type object`];
      for (const r of schema.required ?? []) if (value[r] === undefined) bad(`Required value: ${r}`);
      for (const [k, sub] of Object.entries(schema.properties ?? {}))
        errors.push(...validate(sub, value[k], `${path}.${k}`));
      break;
    case 'array':
      if (!Array.isArray(value)) return [`${path}: Invalid value: must be of type array`];
      if (schema.minItems !== undefined && value.length < schema.minItems)
        bad(`Invalid value: should have at least ${schema.minItems} items`);
      value.forEach((v, i) => errors.push(...validate(schema.items ?? {}, v, `${path}[${i}]`)));
      break;
    case 'string':
      if (typeof value !== 'string') return [`${path}: Invalid value: must be of type string`];
      if (schema.minLength !== undefined && value.length < schema.minLength)
        bad(`Invalid value: should be at least ${schema.minLength} chars long`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength)
        bad(`Too long: may not be more than ${schema.maxLength} bytes`);
      if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value))
        bad(`Invalid value: should match '${schema.pattern}'`);
      if (schema.format === 'date-time' && !DATE_TIME.test(value)) bad('Invalid value: must be of format date-time');
      break;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value)))
        return [`${path}: Invalid value: must be of type ${schema.type}`];
      if (schema.minimum !== undefined && value < schema.minimum)
        bad(`Invalid value: should be greater than or equal to ${schema.minimum}`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') bad('Invalid value: must be of type boolean');
      break;
  }
  if (schema.enum && !schema.enum.includes(value))
    bad(
      `Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`,
    );
  return errors;
}
