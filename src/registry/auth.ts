/**
 * Registry authorization: Docker token auth over Slipway API tokens.
 *
 * `GET|POST /v2/token` takes Basic auth (any username, a Slipway API token as the password) and
 * grants the intersection of the requested scopes and what the token may do: `pull` for
 * viewers, `push` for developers and up, `delete` for admins, only in repositories of the
 * token's workspace(s). A repository that does not exist and one in another workspace are
 * granted nothing alike, so a token never learns what another workspace holds. Only in a
 * workspace the token can see does a refusal say that the project does not exist.
 *
 * Registry requests carry the issued JWT; `Basic` or `Bearer slw_…` with the API token itself is
 * accepted too (scripts, curl), evaluated the same way. A JWT names its API token, which must
 * still be live (not revoked or expired) at every request, checked through a short cache.
 *
 * Nothing here writes to the store: a token request or a refused request creates no row.
 *
 * @module
 */
import { hkdfSync, randomUUID } from 'node:crypto';
import { isSlipwayError } from '../core/errors.js';
import { isRepositoryName, parseScope, type RegistryAction } from '../core/oci.js';
import { can, type Role } from '../core/roles.js';
import type { Db } from '../store/schema.js';
import type { Principal } from '../tenancy/principal.js';
import { authenticate } from '../tenancy/tokens.js';
import { resolveWorkspace } from '../tenancy/workspaces.js';
import { RegistryError } from './errors.js';
import { signToken, verifyToken, type Access, type RegistryClaims } from './jwt.js';
import { projectOfRepository } from './repositories.js';
import type { TokenLiveness } from './token-liveness.js';

/** How long an issued registry token lives (the spec's minimum is 60 s). */
export const registryTokenSeconds = 300;

export interface RegistryAuth {
  db: Db;
  key: Buffer;
  /** The `service` (JWT audience) this registry answers to. */
  service: string;
  /** Whether the API token a JWT names still counts. */
  liveness: TokenLiveness;
}

/** The registry token key, derived from the master key (never the master key itself). */
export function registryTokenKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'slipway registry token v1', 32));
}

/** Actions a role has on its workspace's repositories. */
export function actionsFor(role: Role): RegistryAction[] {
  const out: RegistryAction[] = [];
  if (can(role, 'image.read')) out.push('pull');
  if (can(role, 'image.push')) out.push('push');
  if (can(role, 'image.delete')) out.push('delete');
  return out;
}

/** The caller's access to workspace `name`, or null when it cannot see it (missing or foreign alike). */
async function workspaceAccess(db: Db, principal: Principal, name: string) {
  try {
    return await resolveWorkspace(db, principal, name);
  } catch (error) {
    if (isSlipwayError(error) && error.code === 'SLW_NOT_FOUND') return null;
    throw error;
  }
}

/** What a principal may do in the repository `name`: empty when its project is missing or foreign. */
export async function grantedActions(db: Db, principal: Principal, name: string): Promise<RegistryAction[]> {
  const owner = await projectOfRepository(db, name);
  if (!owner) return [];
  const access = await workspaceAccess(db, principal, name.split('/')[0] ?? '');
  return access?.workspace.id === owner.workspaceId ? actionsFor(access.role) : [];
}

/**
 * True when `name` is `<workspace>/<project>`, the principal can see that workspace, and the
 * project does not exist there: the one case where a refusal may say why.
 */
async function projectMissing(db: Db, principal: Principal, name: string): Promise<boolean> {
  const parts = name.split('/');
  if (parts.length !== 2 || (await projectOfRepository(db, name))) return false;
  return (await workspaceAccess(db, principal, parts[0]!)) !== null;
}

/** The refusal for a push or pull into a project that does not exist (in a workspace the caller sees). */
function missingProjectError(repository: string, detail: unknown): RegistryError {
  const [workspace, project] = repository.split('/') as [string, string];
  return new RegistryError('NAME_UNKNOWN', `project ${project} does not exist in workspace ${workspace}; create it first (slipway project create ${project} -w ${workspace}), then push again`, detail);
}

/** The API token in a Basic (password) or Bearer `slw_…` header, as a Bearer header value. */
function apiTokenHeader(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const basic = /^Basic\s+(\S+)$/i.exec(authorization);
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const password = decoded.slice(decoded.indexOf(':') + 1);
    return `Bearer ${password}`;
  }
  if (/^Bearer\s+slw_/i.test(authorization)) return authorization;
  return undefined;
}

/** Authenticates an API token; a bad one is the registry's UNAUTHORIZED. */
async function principalOf(auth: RegistryAuth, header: string): Promise<Principal> {
  try {
    return await authenticate(auth.db, header);
  } catch (error) {
    if (isSlipwayError(error)) throw new RegistryError('UNAUTHORIZED', error.message);
    throw error;
  }
}

/**
 * The claims of a registry JWT that is valid, unexpired, and whose API token is still live;
 * null otherwise. Tokens the server mints for itself (the deploy engine's pulls) name no API token.
 */
export async function liveClaims(auth: RegistryAuth, jwt: string, nowSeconds: number): Promise<RegistryClaims | null> {
  const claims = verifyToken(jwt, auth.key, auth.service, nowSeconds);
  if (!claims) return null;
  if (claims.tok !== '' && !(await auth.liveness.isLive(claims.tok, nowSeconds * 1000))) return null;
  return claims;
}

/** A registry JWT given as the Basic password (how the deploy engine lets the Docker engine pull). */
async function jwtPassword(auth: RegistryAuth, authorization: string | undefined, nowSeconds: number): Promise<RegistryClaims | null> {
  const basic = authorization ? /^Basic\s+(\S+)$/i.exec(authorization) : null;
  if (!basic?.[1]) return null;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  return password.startsWith('ey') ? liveClaims(auth, password, nowSeconds) : null;
}

/** A short-lived registry token pulling one repository (for the deploy engine's target). */
export function pullToken(auth: RegistryAuth, repository: string, nowSeconds: number): string {
  return signToken({ iss: 'slipway', sub: 'deploy-engine', aud: auth.service, tok: '', iat: nowSeconds, nbf: nowSeconds, exp: nowSeconds + registryTokenSeconds, jti: randomUUID(), access: [{ type: 'repository', name: repository, actions: ['pull'] }] }, auth.key);
}

function requestedScopes(scopes: string[]) {
  return scopes
    .flatMap((s) => s.split(' '))
    .filter((s) => s.length > 0)
    .map(parseScope);
}

/** The token endpoint: a JWT with the granted part of each requested scope. */
export async function issueToken(auth: RegistryAuth, authorization: string | undefined, scopes: string[], nowSeconds: number) {
  const delegated = await jwtPassword(auth, authorization, nowSeconds);
  if (delegated) {
    const access: Access[] = [];
    for (const scope of requestedScopes(scopes)) {
      const held = delegated.access.filter((a) => scope && a.name === scope.name).flatMap((a) => a.actions);
      const actions = scope ? held.filter((a) => scope.actions.includes(a) || scope.actions.includes('*')) : [];
      if (scope && actions.length > 0) access.push({ type: 'repository', name: scope.name, actions });
    }
    const exp = Math.min(delegated.exp, nowSeconds + registryTokenSeconds);
    const token = signToken({ ...delegated, iat: nowSeconds, nbf: nowSeconds, exp, jti: randomUUID(), access }, auth.key);
    return { token, access_token: token, expires_in: Math.max(1, exp - nowSeconds), issued_at: new Date(nowSeconds * 1000).toISOString() };
  }
  const header = apiTokenHeader(authorization);
  const principal = header ? await principalOf(auth, header) : undefined;
  const access: Access[] = [];
  const missing: string[] = [];
  for (const scope of requestedScopes(scopes)) {
    if (!scope || scope.type !== 'repository' || !principal) continue;
    const granted = await grantedActions(auth.db, principal, scope.name);
    const actions = scope.actions.includes('*') ? granted : granted.filter((a) => scope.actions.includes(a));
    if (actions.length > 0) access.push({ type: 'repository', name: scope.name, actions });
    else if (granted.length === 0 && (await projectMissing(auth.db, principal, scope.name))) missing.push(scope.name);
  }
  const claims: RegistryClaims = { iss: 'slipway', sub: principal?.userId ?? '', aud: auth.service, tok: principal?.tokenId ?? '', iat: nowSeconds, nbf: nowSeconds, exp: nowSeconds + registryTokenSeconds, jti: randomUUID(), access };
  const token = signToken(missing.length > 0 ? { ...claims, missing } : claims, auth.key);
  return { token, access_token: token, expires_in: registryTokenSeconds, issued_at: new Date(nowSeconds * 1000).toISOString() };
}

/** Who made a registry request and which actions it holds on `repository`. */
export interface RequestGrant {
  subject: string;
  tokenId: string;
  actions: string[];
  /** The repository's project does not exist, in a workspace the caller can see. */
  projectMissing?: boolean;
}

/**
 * Checks that a request may do `needed` on `repository`. Returns the grant; throws
 * UNAUTHORIZED (with the challenge the caller sends) when it may not, or NAME_UNKNOWN when the
 * project does not exist in a workspace the caller can see.
 */
export async function authorize(auth: RegistryAuth, authorization: string | undefined, repository: string, needed: RegistryAction[], nowSeconds: number): Promise<RequestGrant> {
  const grant = await grantOf(auth, authorization, repository, nowSeconds);
  const missing = needed.filter((a) => !grant?.actions.includes(a));
  if (grant && missing.length === 0) return grant;
  // The challenge names every action the request needs (not only the missing ones), so a client
  // that asks for exactly that scope gets a token that works.
  const detail = [{ Type: 'repository', Name: repository, Action: needed.join(',') }];
  if (grant?.projectMissing) throw missingProjectError(repository, detail);
  if (grant && authorization && !/^Bearer\s+ey/i.test(authorization)) {
    throw new RegistryError('DENIED', `this token may not ${missing.join(',')} ${repository}`, detail);
  }
  throw new RegistryError('UNAUTHORIZED', grant ? `token lacks ${missing.join(',')} on ${repository}` : 'authentication required: log in with any username and a Slipway API token as the password', detail);
}

async function grantOf(auth: RegistryAuth, authorization: string | undefined, repository: string, nowSeconds: number): Promise<RequestGrant | null> {
  if (!authorization) return null;
  const bearer = /^Bearer\s+(ey\S+)$/i.exec(authorization);
  const claims = bearer?.[1] ? await liveClaims(auth, bearer[1], nowSeconds) : await jwtPassword(auth, authorization, nowSeconds);
  if (claims) {
    const actions = claims.access.filter((a) => a.type === 'repository' && a.name === repository).flatMap((a) => a.actions);
    return { subject: claims.sub, tokenId: claims.tok, actions, projectMissing: actions.length === 0 && (claims.missing ?? []).includes(repository) };
  }
  if (bearer) return null;
  const header = apiTokenHeader(authorization);
  if (!header || /^Bearer\s+ey/i.test(header)) return null;
  const principal = await principalOf(auth, header);
  const actions = await grantedActions(auth.db, principal, repository);
  return { subject: principal.userId, tokenId: principal.tokenId, actions, projectMissing: actions.length === 0 && repository !== '' && (await projectMissing(auth.db, principal, repository)) };
}

/** The `WWW-Authenticate` challenge for a repository scope. */
export function challenge(realm: string, service: string, repository: string | undefined, actions: string[]): string {
  // The scope names only a repository that can exist; a name with control characters, quotes
  // or non-ASCII would not be a valid header value, or would let a request shape the header.
  const scope = repository && isRepositoryName(repository) && actions.every((a) => /^[a-z*]+$/.test(a)) ? `,scope="repository:${repository}:${actions.join(',')}"` : '';
  return `Bearer realm="${realm}",service="${service}"${scope}`;
}
