/**
 * Route definitions: one object per API route holds its method, path, schemas, scope and
 * permission. The same object registers the Fastify handler and produces the OpenAPI document,
 * so the document cannot drift from what is validated.
 *
 * Order of checks for every route: authenticate → resolve the workspace / project / environment
 * named in the path (404 for missing and foreign alike) → permission (403) → path, query, body
 * validation (400) → handler. Resolving before validating means a token never learns from a
 * validation error that a foreign object exists.
 *
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z, type ZodType } from 'zod';
import { SlipwayError, errorCatalog, type ErrorCode } from '../../core/errors.js';
import { assertCan, type Permission, type Role } from '../../core/roles.js';
import { findNul } from '../../core/text.js';
import { resolveEnvironment, resolveProject, type EnvironmentAccess, type ProjectAccess } from '../../projects/projects.js';
import type { Principal, WorkspaceAccess } from '../../tenancy/principal.js';
import { authenticate } from '../../tenancy/tokens.js';
import { resolveWorkspace } from '../../tenancy/workspaces.js';
import type { ServerDeps } from '../deps.js';

/** How far a route resolves its path before the handler runs. */
export type Scope = 'public' | 'principal' | 'workspace' | 'project' | 'environment';

type AccessFor<S extends Scope> = S extends 'environment'
  ? EnvironmentAccess
  : S extends 'project'
    ? ProjectAccess
    : S extends 'workspace'
      ? WorkspaceAccess
      : undefined;

/** What a handler receives. */
export interface HandlerContext<S extends Scope, P, Q, B> {
  deps: ServerDeps;
  principal: S extends 'public' ? undefined : Principal;
  access: AccessFor<S>;
  params: P;
  query: Q;
  body: B;
  request: FastifyRequest;
  reply: FastifyReply;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A route's description: everything but the handler (what the OpenAPI document is built from). */
export interface RouteMeta {
  method: Method;
  /** OpenAPI-style path, e.g. `/api/v1/workspaces/{workspace}/projects`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  scope: Scope;
  /** The permission checked after the workspace is resolved. */
  permission?: Permission;
  /**
   * The lowest role that may make this change where it reaches an environment that requires
   * approval (deploy/protected-config.ts decides, in the domain layer; this documents it in the
   * OpenAPI document as `x-slipway-protected-minimum-role`).
   */
  protectedRole?: Role;
  /** Schema of path parameters other than workspace, project and environment. */
  params?: ZodType;
  query?: ZodType;
  body?: ZodType;
  /** The body is a byte stream of this content type, read by the handler from `request.raw`. */
  rawBody?: { contentType: string; description: string };
  /** Success status (default 200). */
  status?: number;
  response: ZodType;
}

/** A route as declared, with its typed handler. */
export interface RouteSpec<S extends Scope, P extends ZodType, Q extends ZodType, B extends ZodType, R extends ZodType> extends RouteMeta {
  scope: S;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  handler(ctx: HandlerContext<S, z.output<P>, z.output<Q>, z.output<B>>): Promise<z.input<R>>;
}

/** A registered route: its description and a function that runs it for a request. */
export interface Route {
  meta: RouteMeta;
  run(request: FastifyRequest, reply: FastifyReply, deps: ServerDeps): Promise<unknown>;
}

/** Declares a route with full type inference of params, query, body and response. */
export function defineRoute<S extends Scope, P extends ZodType = z.ZodObject<{}>, Q extends ZodType = z.ZodObject<{}>, B extends ZodType = z.ZodUndefined, R extends ZodType = ZodType>(
  spec: RouteSpec<S, P, Q, B, R>,
): Route {
  return { meta: spec, run: (request, reply, deps) => runRoute(spec, request, reply, deps) };
}

async function runRoute<S extends Scope, P extends ZodType, Q extends ZodType, B extends ZodType, R extends ZodType>(
  spec: RouteSpec<S, P, Q, B, R>,
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ServerDeps,
): Promise<unknown> {
  const raw = (request.params ?? {}) as Record<string, string>;
  const principal = spec.scope === 'public' ? undefined : await authenticate(deps.db, request.headers.authorization);
  // A NUL never reaches the store (PostgreSQL refuses it in text): path and query before the
  // scope is looked up by name, the body once its schema has had its say (a config value's own
  // rule names the key).
  refuseNul(raw, 'path');
  refuseNul(request.query, 'query');
  const access = principal ? await resolveScope(deps, principal, spec.scope, raw) : undefined;
  if (spec.permission && access) assertCan(access.role, spec.permission);
  const extraParams = Object.fromEntries(Object.entries(raw).filter(([k]) => !(scopeParams as readonly string[]).includes(k)));
  const params = parseInput('path', spec.params ?? z.object({}), extraParams);
  const query = parseInput('query', spec.query ?? z.object({}), request.query ?? {});
  const body = spec.rawBody ? undefined : parseInput('body', spec.body ?? z.undefined(), request.body);
  refuseNul(body, 'body');
  if (spec.rawBody && request.headers['content-type']?.split(';')[0]?.trim() !== spec.rawBody.contentType) {
    throw new SlipwayError('SLW_UNSUPPORTED_MEDIA_TYPE', `send the body as ${spec.rawBody.contentType} (${spec.rawBody.description})`);
  }
  reply.code(spec.status ?? 200);
  const ctx = { deps, principal, access, params, query, body, request, reply } as HandlerContext<S, z.output<P>, z.output<Q>, z.output<B>>;
  return spec.handler(ctx);
}

async function resolveScope(deps: ServerDeps, principal: Principal, scope: Scope, raw: Record<string, string>): Promise<WorkspaceAccess | undefined> {
  if (scope === 'public' || scope === 'principal') return undefined;
  const ws = await resolveWorkspace(deps.db, principal, raw.workspace ?? '');
  if (scope === 'workspace') return ws;
  const project = await resolveProject(deps.db, ws, raw.project ?? '');
  if (scope === 'project') return project;
  return resolveEnvironment(deps.db, project, raw.environment ?? '');
}

function refuseNul(value: unknown, where: 'path' | 'query' | 'body'): void {
  const at = findNul(value, where);
  if (at) throw new SlipwayError('SLW_NUL_CHARACTER', `${at} holds a NUL character (U+0000); remove it`);
}

function parseInput<T extends ZodType>(where: 'path' | 'query' | 'body', schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationError(where, result.error);
}

/** Turns zod issues into one SlipwayError; a core rule's own code wins over SLW_VALIDATION. */
export function validationError(where: 'path' | 'query' | 'body', error: z.ZodError): SlipwayError {
  // A bad record key (e.g. a config key) is one `invalid_key` issue wrapping the key schema's own
  // issues: unwrap them so the core rule's code and message come through.
  const issues = error.issues.flatMap((i) => (i.code === 'invalid_key' ? i.issues.map((n) => ({ ...n, path: [...i.path, ...n.path] })) : [i])).slice(0, 5);
  const code = issues.map((i) => (i.code === 'custom' ? (i.params as { code?: unknown } | undefined)?.code : undefined)).find((c): c is ErrorCode => typeof c === 'string' && c in errorCatalog);
  if (where === 'body' && issues.some((i) => i.code === 'invalid_type' && i.path.length === 0 && i.expected === 'undefined')) {
    return new SlipwayError('SLW_VALIDATION', 'this route takes no request body; send none');
  }
  const text = issues.map((i) => `${[where, ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
  return new SlipwayError(code ?? 'SLW_VALIDATION', code ? issues.find((i) => i.code === 'custom')?.message ?? text : text);
}
/** The path parameters that select the scope, in order. */
export const scopeParams = ['workspace', 'project', 'environment'] as const;

/** Converts `{name}` path templates to Fastify's `:name`. */
export function toFastifyPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}
