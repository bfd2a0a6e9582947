/**
 * Generated requests for every operation of the served OpenAPI document: path parameters filled
 * with names that exist (from the seeded world) or hostile values, query parameters of the right
 * or the wrong kind, and bodies that follow the operation's JSON Schema with hostile leaves,
 * carry extra fields, are junk of another type, or are not JSON at all. Every choice comes from
 * a seeded {@link Rng}, so a seed replays the same requests.
 */
import { encodeSegment, hostileNumbers, hostileNumberStrings, hostileString, junkValue, type Rng } from './fuzz-random.js';

/** A JSON Schema as zod writes it into the document (the parts the generator reads). */
export interface Schema {
  type?: string;
  enum?: unknown[];
  examples?: unknown[];
  format?: string;
  pattern?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  propertyNames?: Schema;
  additionalProperties?: Schema | boolean;
  anyOf?: Schema[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
}

/** One parameter of an operation. */
export interface FuzzParam {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: Schema;
}

/** One operation, as the generator needs it. */
export interface FuzzOperation {
  method: string;
  path: string;
  params: FuzzParam[];
  /** The JSON body's schema, if the route takes one. */
  body: Schema | undefined;
  /** The content type of a byte-stream body (artifact uploads), if the route takes one. */
  rawBodyType: string | undefined;
}

interface Doc {
  paths: Record<string, Record<string, { parameters?: FuzzParam[]; requestBody?: { content: Record<string, { schema: Schema }> } }>>;
}

/** The operations of a served OpenAPI document. */
export function operationsOf(doc: unknown): FuzzOperation[] {
  return Object.entries((doc as Doc).paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const content = op.requestBody?.content ?? {};
      const json = content['application/json']?.schema;
      const raw = Object.keys(content).find((t) => t !== 'application/json');
      return { method: method.toUpperCase(), path, params: op.parameters ?? [], body: json, rawBodyType: raw };
    }),
  );
}

/** What exists on the server: a valid value per path/query parameter name, and tokens by holder. */
export interface FuzzWorld {
  values: Record<string, string>;
  /** Tokens by label (`owner`, `viewer`, `foreign`, …); null sends no Authorization header. */
  tokens: Record<string, string | null>;
}

/** One generated request. */
export interface FuzzRequest {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

/** A value that satisfies `schema` (examples first, then the least powerful enum value). */
export function validValue(schema: Schema | undefined, r: Rng): unknown {
  if (!schema) return 'sample';
  if (schema.anyOf?.length) return validValue(schema.anyOf[0], r);
  if (schema.examples?.length) return schema.examples[0];
  if (schema.enum?.length) return r.pick(schema.enum);
  switch (schema.type) {
    case 'object': {
      const props = schema.properties ?? {};
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(props)) if ((schema.required ?? []).includes(k) || r.chance(0.3)) out[k] = validValue(s, r);
      if (typeof schema.additionalProperties === 'object' && r.chance(0.7)) out[String(validValue(schema.propertyNames, r))] = validValue(schema.additionalProperties, r);
      return out;
    }
    case 'array':
      return r.chance(0.5) ? [] : [validValue(schema.items, r)];
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 1, Math.min(schema.maximum ?? 1, 1));
    case 'boolean':
      return r.chance(0.5);
    case 'string':
      if (schema.format === 'email') return 'fuzz.person@example.com';
      if (schema.format === 'date-time') return new Date(Date.UTC(2099, 0, 1)).toISOString();
      return 'sample';
    default:
      return 'sample';
  }
}

/** A value of the schema's own type that is hostile (NUL, huge numbers, …), or junk of any type. */
export function hostileValue(schema: Schema | undefined, r: Rng, depth = 0): unknown {
  if (!schema || r.chance(0.15)) return junkValue(r);
  if (schema.anyOf?.length) return hostileValue(r.pick(schema.anyOf), r, depth);
  switch (schema.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(schema.properties ?? {})) {
        if (!(schema.required ?? []).includes(k) && r.chance(0.4)) continue;
        out[k] = r.chance(0.6) && depth < 4 ? hostileValue(s, r, depth + 1) : validValue(s, r);
      }
      if (typeof schema.additionalProperties === 'object') {
        for (let i = r.int(3); i > 0; i--) out[r.chance(0.5) ? hostileString(r) : String(validValue(schema.propertyNames, r))] = hostileValue(schema.additionalProperties, r, depth + 1);
      }
      if (r.chance(0.1)) out[hostileString(r)] = junkValue(r);
      return out;
    }
    case 'array':
      return Array.from({ length: r.pick([0, 1, 2, 60, 1_001]) }, () => (r.chance(0.5) ? hostileValue(schema.items, r, depth + 1) : validValue(schema.items, r)));
    case 'integer':
    case 'number':
      return r.chance(0.85) ? r.pick(hostileNumbers) : r.pick(hostileNumberStrings);
    case 'boolean':
      return r.pick(['true', 0, 1, null, 'false']);
    default:
      return hostileString(r);
  }
}

/** Text bodies that are not JSON, or JSON of the wrong shape at the top. */
const notJson = ['{', '{"a":', '[', 'nul', '{"name": "x",}', '\u0000', '{"a":1}{"b":2}', '"\\ud800"', `${'['.repeat(5_000)}${']'.repeat(5_000)}`, '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '1e400', ''];
const contentTypes = ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/octet-stream', 'application/jsonx', '*/*', 'json', ''];

/** `text` cut to what an HTTP client sends in a header value (visible ASCII and Latin-1, spaces inside). */
export function headerText(text: string): string {
  return text.replace(/[^\x21-\x7e\xa0-\xff ]/g, '').trim();
}

/** A path parameter: the world's value for it, or a hostile one. */
function pathValue(param: string, world: FuzzWorld, r: Rng, hostile: boolean): string {
  const valid = world.values[param];
  if (!hostile && valid !== undefined) return valid;
  if (param === 'number' && r.chance(0.5)) return r.pick(hostileNumberStrings);
  return hostileString(r);
}

/** `runs` requests for `op`, each labelled with what made it. */
export function apiRequests(op: FuzzOperation, world: FuzzWorld, r: Rng, runs: number): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  const tokenNames = Object.keys(world.tokens);
  for (let i = 0; i < runs; i++) {
    const tokenName = i === 0 ? 'owner' : r.pick(tokenNames);
    const pathParams = op.params.filter((p) => p.in === 'path');
    // A route that deletes or demotes gets a hostile last segment, so the world stays intact
    // for the routes after it (a valid delete is the business of the feature tests).
    const protect = op.method === 'DELETE' || /\/members\/\{member\}$/.test(op.path);
    const hostileAt = new Set(pathParams.filter((_, j) => r.chance(i === 0 ? 0 : 0.25) || (protect && j === pathParams.length - 1)).map((p) => p.name));
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeSegment(pathValue(name, world, r, hostileAt.has(name))));
    const query = new URLSearchParams();
    for (const p of op.params.filter((q) => q.in === 'query')) {
      if (!p.required && r.chance(0.5)) continue;
      const value = r.chance(0.6) ? (p.schema.type === 'integer' ? r.pick(hostileNumberStrings) : hostileString(r)) : String(world.values[p.name] ?? validValue(p.schema, r));
      query.append(p.name, value);
      if (r.chance(0.1)) query.append(p.name, hostileString(r));
    }
    if (r.chance(0.1)) query.append(hostileString(r) || 'x', hostileString(r));
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = world.tokens[tokenName];
    if (token) headers.authorization = `Bearer ${token}`;
    // Headers the server reads besides the token: an event stream's resume point, content
    // negotiation, forwarding (trusted from no proxy here).
    if (r.chance(0.3)) headers[r.pick(['last-event-id', 'accept', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'if-none-match', 'range'])] = headerText(r.chance(0.5) ? r.pick(hostileNumberStrings) : hostileString(r)) || '-';
    const req: FuzzRequest = { label: '', method: op.method, path: `${path}${query.size > 0 ? `?${query.toString()}` : ''}`, headers };
    const mode = bodyMode(op, r);
    if (mode === 'schema' || mode === 'valid' || mode === 'junk' || mode === 'extra') {
      const value = mode === 'valid' ? validValue(op.body, r) : mode === 'junk' ? junkValue(r) : mode === 'extra' ? { ...(validValue(op.body, r) as object), [hostileString(r) || 'extra']: junkValue(r) } : hostileValue(op.body, r);
      req.body = JSON.stringify(value) ?? 'null';
      headers['content-type'] = 'application/json';
    } else if (mode === 'text') {
      req.body = r.pick(notJson);
      headers['content-type'] = r.chance(0.7) ? 'application/json' : r.pick(contentTypes);
    } else if (mode === 'bytes') {
      req.body = Uint8Array.from({ length: r.pick([0, 1, 512, 70_000]) }, () => r.int(256));
      headers['content-type'] = r.chance(0.7) && op.rawBodyType ? op.rawBodyType : r.pick(contentTypes);
    }
    const shown = typeof req.body === 'string' ? JSON.stringify(req.body.slice(0, 120)) : req.body ? `${req.body.length} bytes` : '-';
    req.label = `#${i} ${op.method} ${op.path} as ${tokenName} [${[...hostileAt].join(',') || 'valid path'}] ${req.path.slice(0, 200)} body(${mode})=${shown}`;
    out.push(req);
  }
  return out;
}

type BodyMode = 'none' | 'valid' | 'schema' | 'extra' | 'junk' | 'text' | 'bytes';

function bodyMode(op: FuzzOperation, r: Rng): BodyMode {
  // fetch sends no body with GET (a server must ignore one anyway).
  if (op.method === 'GET') return 'none';
  if (op.rawBodyType) return r.pick<BodyMode>(['bytes', 'bytes', 'bytes', 'text', 'schema', 'none']);
  if (op.body) return r.pick<BodyMode>(['valid', 'schema', 'schema', 'schema', 'schema', 'extra', 'junk', 'text', 'none']);
  return r.pick<BodyMode>(['none', 'none', 'none', 'none', 'junk', 'text']);
}
