/**
 * API tokens: minting (shown once), hashing, authentication, listing and revocation.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { SlipwayError, notFound } from '../core/errors.js';
import { assertCanGrant, assertMayActOnToken, atLeast, parseRole, type Role } from '../core/roles.js';
import { looksLikeToken, tokenHint, tokenPrefix } from '../core/tokens.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Db, Executor } from '../store/schema.js';
import { actorOf, type Principal, type WorkspaceAccess } from './principal.js';

/** Makes a new random token (256 bits). */
export function mintToken(): string {
  return `${tokenPrefix}${randomBytes(32).toString('base64url')}`;
}

/** The stored form of a token: its SHA-256 hash (tokens are random, so no slow hash is needed). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** How often `last_used_at` is refreshed at most, so reads do not turn into writes. */
const lastUsedResolutionMs = 60_000;

/** Resolves an `Authorization` header value into a principal, or throws a 401 error. */
export async function authenticate(db: Db, authorization: string | undefined): Promise<Principal> {
  const hint = 'send "Authorization: Bearer slw_…" (slipway --token or SLIPWAY_TOKEN)';
  if (!authorization) throw new SlipwayError('SLW_UNAUTHENTICATED', `missing API token: ${hint}`);
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m?.[1] || !looksLikeToken(m[1])) throw new SlipwayError('SLW_UNAUTHENTICATED', `the Authorization header does not hold a Slipway token: ${hint}`);
  const row = await db
    .selectFrom('tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id', 't.workspace_id', 't.role', 't.expires_at', 't.revoked_at', 't.last_used_at', 'u.id as user_id', 'u.email', 'u.instance_admin'])
    .where('t.hash', '=', hashToken(m[1]))
    .executeTakeFirst();
  if (!row) throw new SlipwayError('SLW_UNAUTHENTICATED', 'unknown API token: check it was copied whole, or create a new one');
  if (row.revoked_at) throw new SlipwayError('SLW_TOKEN_REVOKED', `this API token was revoked at ${row.revoked_at}; ask an admin for a new one`);
  const now = new Date();
  if (row.expires_at && row.expires_at <= now.toISOString()) {
    throw new SlipwayError('SLW_TOKEN_EXPIRED', `this API token expired at ${row.expires_at}; ask an admin for a new one`);
  }
  if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > lastUsedResolutionMs) {
    await db.updateTable('tokens').set({ last_used_at: now.toISOString() }).where('id', '=', row.id).execute();
  }
  return {
    userId: row.user_id,
    tokenId: row.id,
    email: row.email,
    instanceAdmin: row.instance_admin === 1,
    scope: row.workspace_id && row.role ? { workspaceId: row.workspace_id, role: parseRole(row.role) } : null,
  };
}

/** A token as listed (never its value or hash). */
export interface TokenInfo {
  id: string;
  name: string;
  hint: string;
  role: Role;
  user: { id: string; email: string };
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** Input of {@link createToken}. */
export interface CreateTokenInput {
  name: string;
  role: Role;
  expiresAt?: string | undefined;
  /** The member the token acts as; defaults to the caller (another member: instance admins only). */
  memberEmail?: string | undefined;
}

/** How the caller stands toward a token's holder (see assertMayActOnToken in core/roles.ts). */
function tokenActor(access: WorkspaceAccess, holderUserId: string) {
  return { role: access.role, isHolder: holderUserId === access.principal.userId, instanceAdmin: access.principal.instanceAdmin && access.principal.scope === null };
}

/**
 * Mints a workspace token that acts as the caller (an instance admin may name another member).
 * Its role may not exceed the caller's role nor the holder's member role. Returns the token
 * value once; only its hash is stored.
 */
export async function createToken(db: Db, access: WorkspaceAccess, input: CreateTokenInput): Promise<TokenInfo & { token: string }> {
  assertCanGrant(access.role, input.role);
  if (input.expiresAt && input.expiresAt <= nowIso()) {
    throw new SlipwayError('SLW_VALIDATION', `expiresAt ${input.expiresAt} is in the past; give a future time`);
  }
  return db.transaction().execute(async (tx) => {
    const holder = await memberByEmailOrId(tx, access.workspace.id, input.memberEmail ?? access.principal.userId);
    assertMayActOnToken('create', tokenActor(access, holder.userId), holder);
    if (!atLeast(holder.role, input.role)) {
      throw new SlipwayError('SLW_ROLE_TOO_HIGH', `${holder.email} is a '${holder.role}' in this workspace; a token for them can have at most that role`);
    }
    const token = mintToken();
    const row = {
      id: newId('tok'),
      workspace_id: access.workspace.id,
      user_id: holder.userId,
      role: input.role,
      name: input.name,
      hint: tokenHint(token),
      hash: hashToken(token),
      created_at: nowIso(),
      created_by: access.principal.userId,
      expires_at: input.expiresAt ?? null,
      revoked_at: null,
      last_used_at: null,
    };
    await tx.insertInto('tokens').values(row).execute();
    await recordAudit(tx, actorOf(access.principal), {
      workspaceId: access.workspace.id,
      action: 'token.create',
      targetType: 'token',
      target: row.id,
      details: { name: row.name, role: row.role, hint: row.hint, holder: holder.email, expiresAt: row.expires_at },
    });
    return { ...toInfo({ ...row, email: holder.email }), token };
  });
}

/** The workspace's tokens, newest first. */
export async function listTokens(db: Executor, access: WorkspaceAccess): Promise<TokenInfo[]> {
  const rows = await tokenQuery(db).where('t.workspace_id', '=', access.workspace.id).orderBy('t.id', 'desc').execute();
  return rows.map(toInfo);
}

/**
 * Revokes a token of the workspace; revoking twice is harmless. A token of an owner only an
 * owner revokes (the holder's role now, or the token's role if they are no longer a member).
 */
export async function revokeToken(db: Db, access: WorkspaceAccess, tokenId: string): Promise<TokenInfo> {
  return db.transaction().execute(async (tx) => {
    const row = await tokenQuery(tx).where('t.workspace_id', '=', access.workspace.id).where('t.id', '=', tokenId).executeTakeFirst();
    if (!row) throw notFound('token', tokenId, `workspace '${access.workspace.name}'`);
    const member = await tx.selectFrom('members').select('role').where('workspace_id', '=', access.workspace.id).where('user_id', '=', row.user_id).executeTakeFirst();
    assertMayActOnToken('revoke', tokenActor(access, row.user_id), { role: parseRole(member?.role ?? row.role ?? 'owner'), email: row.email });
    if (row.revoked_at) return toInfo(row);
    const revokedAt = nowIso();
    await tx.updateTable('tokens').set({ revoked_at: revokedAt }).where('id', '=', tokenId).execute();
    await recordAudit(tx, actorOf(access.principal), {
      workspaceId: access.workspace.id,
      action: 'token.revoke',
      targetType: 'token',
      target: tokenId,
      details: { name: row.name, hint: row.hint },
    });
    return toInfo({ ...row, revoked_at: revokedAt });
  });
}

function tokenQuery(db: Executor) {
  return db
    .selectFrom('tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id', 't.name', 't.hint', 't.role', 't.user_id', 'u.email', 't.created_at', 't.expires_at', 't.revoked_at', 't.last_used_at']);
}

function toInfo(r: { id: string; name: string; hint: string; role: string | null; user_id: string; email: string; created_at: string; expires_at: string | null; revoked_at: string | null; last_used_at: string | null }): TokenInfo {
  return {
    id: r.id,
    name: r.name,
    hint: r.hint,
    role: parseRole(r.role ?? 'viewer'),
    user: { id: r.user_id, email: r.email },
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

/** Finds a member of a workspace by user id or e-mail, or throws not found. */
export async function memberByEmailOrId(db: Executor, workspaceId: string, emailOrId: string): Promise<{ userId: string; email: string; role: Role }> {
  const row = await db
    .selectFrom('members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email', 'm.role'])
    .where('m.workspace_id', '=', workspaceId)
    .where((eb) => eb.or([eb('u.id', '=', emailOrId), eb('u.email', '=', emailOrId.toLowerCase())]))
    .executeTakeFirst();
  if (!row) throw notFound('member', emailOrId);
  return { userId: row.id, email: row.email, role: parseRole(row.role) };
}
