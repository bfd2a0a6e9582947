/**
 * What the panel offers by the caller's role in a workspace (as `GET /workspaces/WS` reports it:
 * the weaker of the token's and the member's role). It only hides forms a role could not use;
 * the API decides every request, and its refusal (SLW_FORBIDDEN) is shown as it comes.
 */
import type { Member } from './types';

export type Role = Member['role'];

/** Every role, most powerful first (the API's order). */
export const roleNames: readonly Role[] = ['owner', 'admin', 'developer', 'viewer'];

const rank: Record<Role, number> = { owner: 4, admin: 3, developer: 2, viewer: 1 };

/** Creating projects and environments (`project.write`): developers and above. */
export const mayCreate = (role: Role | undefined): boolean => role !== undefined && rank[role] >= rank.developer;

/** Deleting projects and environments, managing members and tokens: admins and owners. */
export const mayManage = (role: Role | undefined): boolean => role !== undefined && rank[role] >= rank.admin;

/** A workspace's dedicated servers (`server add -w`, and managing them): owners only. */
export const mayOwn = (role: Role | undefined): boolean => role === 'owner';

const units: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A token lifetime as `token create --expires-in` takes it (90m, 12h, 30d, 8w) turned into the
 * expiry time the API takes; empty means it never expires.
 */
export function expiryFrom(text: string, now = Date.now()): { expiresAt: string | undefined } | { error: string } {
  const t = text.trim();
  if (t === '') return { expiresAt: undefined };
  const m = /^(\d{1,6})([mhdw])$/.exec(t);
  const ms = m ? Number(m[1]) * (units[m[2] ?? ''] ?? 0) : 0;
  if (ms <= 0) return { error: `'${t}' is not a lifetime like 90m, 12h, 30d or 8w (leave it empty for a token that does not expire)` };
  return { expiresAt: new Date(now + ms).toISOString() };
}

/** The name and lifetime fields of a new token (workspace or instance), as the API takes them; an error for a bad lifetime. */
export function tokenFields(name: string, expiresIn: string): { fields: { name?: string; expiresAt?: string } } | { error: string } {
  const expiry = expiryFrom(expiresIn);
  if ('error' in expiry) return expiry;
  return { fields: { ...(name.trim() ? { name: name.trim() } : {}), ...(expiry.expiresAt ? { expiresAt: expiry.expiresAt } : {}) } };
}
