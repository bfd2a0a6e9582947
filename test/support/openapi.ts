/**
 * Walking the served OpenAPI document: every operation, its path filled with chosen values, and
 * a plausible request body made from its JSON Schema. Tests enumerate routes from the document
 * (never from a hard-coded list), so a new route is checked the day it is added.
 */
import { call } from './api.js';

type JsonSchema = {
  type?: string;
  enum?: unknown[];
  examples?: unknown[];
  format?: string;
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  propertyNames?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  minimum?: number;
};

/** One operation of the document. */
export interface Operation {
  method: string;
  path: string;
  operationId: string;
  minimumRole: string | undefined;
  /** The lowest role that makes this change where it reaches an environment that requires approval (x-slipway-protected-minimum-role). */
  protectedMinimumRole: string | undefined;
  bodySchema: JsonSchema | undefined;
  /** Query parameters, with whether each is required. */
  query: Array<{ name: string; required: boolean }>;
}

interface Doc {
  paths: Record<
    string,
    Record<string, { operationId: string; 'x-slipway-minimum-role'?: string; 'x-slipway-protected-minimum-role'?: string; parameters?: Array<{ name: string; in: string; required?: boolean }>; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>
  >;
}

/** Fetches `/api/v1/openapi.json` (no token needed) and lists its operations. */
export async function fetchOperations(baseUrl: string): Promise<Operation[]> {
  const res = await call(baseUrl, { path: '/api/v1/openapi.json' });
  if (res.status !== 200) throw new Error(`openapi.json answered ${res.status}`);
  const doc = res.json as Doc;
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      operationId: op.operationId,
      minimumRole: op['x-slipway-minimum-role'],
      protectedMinimumRole: op['x-slipway-protected-minimum-role'],
      bodySchema: op.requestBody?.content['application/json']?.schema,
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => ({ name: p.name, required: p.required === true })),
    })),
  );
}

/** The `{names}` in a path template. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

/** Fills a path template; throws on a parameter without a value so a new route cannot slip by. */
export function fillPath(path: string, values: Record<string, string | number>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no test value for path parameter {${name}} of ${path}: add one to the test`);
    return encodeURIComponent(String(v));
  });
}

/**
 * The query string of an operation's required parameters that `values` has a value for (empty
 * if none). One left out makes the route answer 400; the walks that expect success on GET
 * routes catch a GET route whose query has no test value.
 */
export function fillQuery(op: Operation, values: Record<string, string | number>): string {
  const pairs = op.query.filter((q) => q.required && values[q.name] !== undefined).map((q) => `${encodeURIComponent(q.name)}=${encodeURIComponent(String(values[q.name]))}`);
  return pairs.length > 0 ? `?${pairs.join('&')}` : '';
}

/** An operation's path and required query, filled with `values`. */
export function fillUrl(op: Operation, values: Record<string, string | number>): string {
  return fillPath(op.path, values) + fillQuery(op, values);
}

/**
 * A body that satisfies `schema` (required properties; the first property when none is
 * required), preferring the schema's examples and the least powerful enum value (the last).
 */
export function sampleBody(schema: JsonSchema | undefined): unknown {
  if (!schema) return undefined;
  if (schema.examples?.length) return schema.examples[0];
  if (schema.enum?.length) return schema.enum[schema.enum.length - 1];
  switch (schema.type) {
    case 'object': {
      const props = schema.properties ?? {};
      const required = schema.required ?? [];
      const keys = required.length > 0 ? required : Object.keys(props).slice(0, 1);
      const out: Record<string, unknown> = Object.fromEntries(keys.map((k) => [k, sampleBody(props[k])]));
      if (keys.length === 0 && schema.propertyNames && typeof schema.additionalProperties === 'object') {
        out[String(sampleBody(schema.propertyNames))] = sampleBody(schema.additionalProperties);
      }
      return out;
    }
    case 'array':
      return [sampleBody(schema.items)];
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'string':
      if (schema.format === 'email') return 'sample.person@example.com';
      if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      return 'sample';
    default:
      return 'sample';
  }
}
