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

/**
 * Whether the caller may change a config or secrets layer, and the note that says why not: a
 * layer that sets the variables of an environment requiring approval (the API's
 * `requiresApprovalIn`: the environment itself, or every one the project's base layer feeds) is
 * for admins and owners only. While the role or the layer is still being read, the controls stay
 * enabled and the API decides (its SLW_FORBIDDEN is shown as it comes).
 */
export function layerEditing(role: Role | undefined, requiresApprovalIn: readonly string[] | undefined, env: string | undefined): { allowed: boolean; note: string | null } {
  if (role === undefined || requiresApprovalIn === undefined || requiresApprovalIn.length === 0 || mayManage(role)) return { allowed: true, note: null };
  if (env !== undefined) return { allowed: false, note: `${env} requires approval, so only an admin or owner changes what it runs with (your role here: ${role}); ask one to make the change.` };
  const names = requiresApprovalIn.length <= 3 ? requiresApprovalIn.join(', ') : `${requiresApprovalIn.slice(0, 3).join(', ')} and ${requiresApprovalIn.length - 3} more`;
  return {
    allowed: false,
    note: `This layer feeds ${names}, which require${requiresApprovalIn.length === 1 ? 's' : ''} approval, so only an admin or owner changes it (your role here: ${role}); set the key on another environment's own layer, or ask one.`,
  };
}

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
