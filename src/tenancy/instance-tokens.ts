/**
 * Instance tokens (no workspace scope): the first admin's token and the ones instance admins
 * make. Through the API an instance admin lists, creates (optionally replacing another in the
 * same transaction: a rotation) and revokes them. Offline, {@link rotateFirstAdminToken} mints
 * a new token for the first admin and revokes their older instance tokens, for when the only
 * admin token is lost or leaked (`slipway admin token`).
 *
 * @module
 */
import { SlipwayError, notFound } from '../core/errors.js';
import { tokenHint } from '../core/tokens.js';
import { recordAudit, systemActor } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Db, Executor } from '../store/schema.js';
import { bootstrapFirstAdmin } from './bootstrap.js';
import { actorOf, type Principal } from './principal.js';
import { hashToken, mintToken } from './tokens.js';

/** An instance token as listed (never its value or hash). */
export interface InstanceTokenInfo {
  id: string;
  name: string;
  hint: string;
  user: { id: string; email: string };
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** The name of the token `slipway server` and `slipway admin token` write to `<data-dir>/admin-token`. */
export const firstAdminTokenName = 'first admin';

/** Throws unless the caller is an instance admin calling with an instance token. */
export function assertInstanceAdmin(principal: Principal): void {
  if (principal.scope) throw new SlipwayError('SLW_WORKSPACE_TOKEN_SCOPE', 'a workspace token cannot manage instance tokens; use an instance admin token (the first one is in <data-dir>/admin-token)');
  if (!principal.instanceAdmin) throw new SlipwayError('SLW_FORBIDDEN', 'only an instance admin can manage instance tokens');
}

function instanceTokens(db: Executor) {
  return db
    .selectFrom('tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id', 't.name', 't.hint', 't.user_id', 'u.email', 't.created_at', 't.expires_at', 't.revoked_at', 't.last_used_at'])
    .where('t.workspace_id', 'is', null);
}

function toInfo(r: { id: string; name: string; hint: string; user_id: string; email: string; created_at: string; expires_at: string | null; revoked_at: string | null; last_used_at: string | null }): InstanceTokenInfo {
  return { id: r.id, name: r.name, hint: r.hint, user: { id: r.user_id, email: r.email }, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at, lastUsedAt: r.last_used_at };
}

/** Every instance token, newest first. */
export async function listInstanceTokens(db: Executor, principal: Principal): Promise<InstanceTokenInfo[]> {
  assertInstanceAdmin(principal);
  return (await instanceTokens(db).orderBy('t.id', 'desc').execute()).map(toInfo);
}

/** Input of {@link createInstanceToken}. */
export interface CreateInstanceTokenInput {
  name: string;
  expiresAt?: string | undefined;
  /** An instance token to revoke in the same transaction (`current`: the calling one). */
  replaces?: string | undefined;
}

/** Mints an instance token for the calling instance admin; its value is returned once. */
export async function createInstanceToken(db: Db, principal: Principal, input: CreateInstanceTokenInput): Promise<InstanceTokenInfo & { token: string; replaced: string | null }> {
  assertInstanceAdmin(principal);
  if (input.expiresAt && input.expiresAt <= nowIso()) throw new SlipwayError('SLW_VALIDATION', `expiresAt ${input.expiresAt} is in the past; give a future time`);
  const replaces = input.replaces === 'current' ? principal.tokenId : input.replaces;
  return db.transaction().execute(async (tx) => {
    if (replaces) await revokeIn(tx, principal, replaces);
    const token = mintToken();
    const row = { id: newId('tok'), workspace_id: null, user_id: principal.userId, role: null, name: input.name, hint: tokenHint(token), hash: hashToken(token), created_at: nowIso(), created_by: principal.userId, expires_at: input.expiresAt ?? null, revoked_at: null, last_used_at: null };
    await tx.insertInto('tokens').values(row).execute();
    await recordAudit(tx, actorOf(principal), { workspaceId: null, action: 'instance.token.create', targetType: 'token', target: row.id, details: { name: row.name, hint: row.hint, expiresAt: row.expires_at, replaces: replaces ?? null } });
    return { ...toInfo({ ...row, email: principal.email }), token, replaced: replaces ?? null };
  });
}

/** Revokes an instance token (any instance admin's, the calling one included); twice is harmless. */
export async function revokeInstanceToken(db: Db, principal: Principal, tokenId: string): Promise<InstanceTokenInfo> {
  assertInstanceAdmin(principal);
  return db.transaction().execute((tx) => revokeIn(tx, principal, tokenId));
}

async function revokeIn(tx: Executor, principal: Principal, tokenId: string): Promise<InstanceTokenInfo> {
  const row = await instanceTokens(tx).where('t.id', '=', tokenId).executeTakeFirst();
  if (!row) throw notFound('instance token', tokenId);
  if (row.revoked_at) return toInfo(row);
  const revokedAt = nowIso();
  await tx.updateTable('tokens').set({ revoked_at: revokedAt }).where('id', '=', tokenId).execute();
  await recordAudit(tx, actorOf(principal), { workspaceId: null, action: 'instance.token.revoke', targetType: 'token', target: tokenId, details: { name: row.name, hint: row.hint } });
  return toInfo({ ...row, revoked_at: revokedAt });
}

/** What {@link rotateFirstAdminToken} did. */
export interface RotatedAdminToken {
  token: string;
  tokenId: string;
  email: string;
  /** Ids of the instance tokens it revoked. */
  revoked: string[];
  expiresAt: string | null;
}

/**
 * Offline recovery: mints a new instance token for the first instance admin and revokes every
 * other unrevoked instance token of theirs, in one transaction (an empty store gets its first
 * admin, as a server's first start would). Their workspace tokens are left alone.
 */
export async function rotateFirstAdminToken(db: Db, options: { expiresAt?: string | undefined } = {}): Promise<RotatedAdminToken> {
  const admin = await db.selectFrom('users').select(['id', 'email']).where('instance_admin', '=', 1).orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
  if (!admin) {
    const first = await bootstrapFirstAdmin(db);
    if (first) {
      const row = await db.selectFrom('tokens as t').innerJoin('users as u', 'u.id', 't.user_id').select(['t.id', 'u.email', 't.expires_at']).where('t.user_id', '=', first.userId).executeTakeFirstOrThrow();
      return { token: first.token, tokenId: row.id, email: row.email, revoked: [], expiresAt: row.expires_at };
    }
    return rotateFirstAdminToken(db, options);
  }
  return db.transaction().execute(async (tx) => {
    const old = await tx.selectFrom('tokens').select('id').where('user_id', '=', admin.id).where('workspace_id', 'is', null).where('revoked_at', 'is', null).execute();
    const now = nowIso();
    if (old.length > 0) await tx.updateTable('tokens').set({ revoked_at: now }).where('id', 'in', old.map((t) => t.id)).execute();
    const token = mintToken();
    const tokenId = newId('tok');
    await tx
      .insertInto('tokens')
      .values({ id: tokenId, workspace_id: null, user_id: admin.id, role: null, name: firstAdminTokenName, hint: tokenHint(token), hash: hashToken(token), created_at: now, created_by: null, expires_at: options.expiresAt ?? null, revoked_at: null, last_used_at: null })
      .execute();
    const revoked = old.map((t) => t.id);
    await recordAudit(tx, systemActor, { workspaceId: null, action: 'instance.admin-token.rotate', targetType: 'user', target: admin.email, details: { tokenId, revoked, expiresAt: options.expiresAt ?? null, via: 'slipway admin token' } });
    return { token, tokenId, email: admin.email, revoked, expiresAt: options.expiresAt ?? null };
  });
}
