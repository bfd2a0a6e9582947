/**
 * The OpenAPI 3.1 document, built from the same route objects and zod schemas that validate
 * requests (JSON Schema 2020-12 is OpenAPI 3.1's schema dialect, so zod's output is used as is).
 *
 * @module
 */
import { z, type ZodType } from 'zod';
import { errorCatalog } from '../../core/errors.js';
import { permissions } from '../../core/roles.js';
import type { Route } from './route.js';
import { errorBodySchema, nameSchema } from '../../api/common.js';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return out;
}

function pathParameters(route: Route): JsonSchema[] {
  const names = [...route.meta.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
  const extra = route.meta.params ? (schemaOf(route.meta.params, 'input').properties as Record<string, JsonSchema> | undefined) ?? {} : {};
  return names.map((name) => {
    const scoped = name === 'workspace' || name === 'project' || name === 'environment';
    return { name, in: 'path', required: true, schema: scoped ? schemaOf(nameSchema(name), 'input') : extra[name] ?? { type: 'string' } };
  });
}

function queryParameters(route: Route): JsonSchema[] {
  if (!route.meta.query) return [];
  const s = schemaOf(route.meta.query, 'input');
  const required = new Set((s.required as string[] | undefined) ?? []);
  return Object.entries((s.properties as Record<string, JsonSchema> | undefined) ?? {}).map(([name, schema]) => ({ name, in: 'query', required: required.has(name), schema }));
}

function errorResponses(route: Route): Record<string, JsonSchema> {
  const statuses = new Set<number>([400]);
  if (route.meta.scope !== 'public') statuses.add(401);
  if (route.meta.permission || route.meta.scope === 'principal') statuses.add(403);
  if (route.meta.scope !== 'public' && route.meta.scope !== 'principal') statuses.add(404);
  if (route.meta.method !== 'GET' && route.meta.method !== 'DELETE') statuses.add(409).add(413).add(415);
  const codes = (status: number) => Object.entries(errorCatalog).filter(([, v]) => v.status === status).map(([k]) => k);
  return Object.fromEntries(
    [...statuses].map((s) => [String(s), { description: `Error; code one of ${codes(s).join(', ')}`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
  );
}

/** Builds the document for `routes`. */
export function buildOpenApi(routes: readonly Route[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const m = route.meta;
    const op: JsonSchema = {
      operationId: m.operationId,
      summary: m.summary,
      tags: [m.tag],
      parameters: [...pathParameters(route), ...queryParameters(route)],
      responses: {
        [String(m.status ?? 200)]: { description: 'Success', content: { 'application/json': { schema: schemaOf(m.response, 'output') } } },
        ...errorResponses(route),
      },
    };
    if (m.scope === 'public') op.security = [];
    if (m.permission) {
      op['x-slipway-permission'] = m.permission;
      op['x-slipway-minimum-role'] = permissions[m.permission];
    }
    if (m.protectedRole) op['x-slipway-protected-minimum-role'] = m.protectedRole;
    if (m.body) op.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(m.body, 'input') } } };
    if (m.rawBody) op.requestBody = { required: true, description: m.rawBody.description, content: { [m.rawBody.contentType]: { schema: { type: 'string', format: 'binary' } } } };
    (paths[m.path] ??= {})[m.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Slipway API', version, description: 'Every route under /api/v1 takes a bearer API token (slw_…). Errors are { "error": { "code", "message" } }; codes are listed in docs/errors.md.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A Slipway API token (slw_…)' } },
      schemas: { Error: schemaOf(errorBodySchema, 'output') },
    },
  };
}
