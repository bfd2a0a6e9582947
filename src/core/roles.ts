/**
 * Member roles and what each may do inside its workspace.
 *
 * Roles are ordered: owner > admin > developer > viewer. Each permission names the lowest role
 * that holds it; every higher role holds it too.
 *
 * @module
 */
import { SlipwayError } from './errors.js';

/** All roles, most powerful first. */
export const roles = ['owner', 'admin', 'developer', 'viewer'] as const;
export type Role = (typeof roles)[number];

const rank: Record<Role, number> = { owner: 4, admin: 3, developer: 2, viewer: 1 };

/** What can be done in a workspace, each with the lowest role that may do it. */
export const permissions = {
  'workspace.read': 'viewer',
  'workspace.update': 'owner',
  'project.read': 'viewer',
  'project.write': 'developer',
  'project.delete': 'admin',
  'config.write': 'developer',
  'secret.write': 'developer',
  'release.read': 'viewer',
  'member.read': 'viewer',
  'member.manage': 'admin',
  'token.manage': 'admin',
  'audit.read': 'admin',
  'image.read': 'viewer',
  'image.push': 'developer',
  'image.delete': 'admin',
  'registry.policy': 'admin',
  'credential.manage': 'admin',
  'deploy.run': 'developer',
  'promotion.approve': 'admin',
  'service.read': 'viewer',
  'service.manage': 'admin',
  'service.attach': 'developer',
  'service.backup': 'developer',
  'service.restore': 'admin',
  'volume.read': 'viewer',
  /** Back up, and download a backup (the volume's files). */
  'volume.backup': 'developer',
  /** Restore; in an environment that requires approval only admins and owners (deploy/protected-config.ts). */
  'volume.restore': 'developer',
  'volume.delete': 'admin',
} as const satisfies Record<string, Role>;
export type Permission = keyof typeof permissions;

/** Returns `value` as a Role or throws `SLW_UNKNOWN_ROLE`. */
export function parseRole(value: string): Role {
  if ((roles as readonly string[]).includes(value)) return value as Role;
  throw new SlipwayError('SLW_UNKNOWN_ROLE', `unknown role '${value}': use one of ${roles.join(', ')}`);
}

/** True when `role` is at least as powerful as `other`. */
export function atLeast(role: Role, other: Role): boolean {
  return rank[role] >= rank[other];
}

/** The less powerful of two roles (a token never exceeds its member's role). */
export function weaker(a: Role, b: Role): Role {
  return rank[a] <= rank[b] ? a : b;
}

/** True when `role` holds `permission`. */
export function can(role: Role, permission: Permission): boolean {
  return atLeast(role, permissions[permission]);
}

/** Throws `SLW_FORBIDDEN` unless `role` holds `permission`, naming the role needed. */
export function assertCan(role: Role, permission: Permission): void {
  if (can(role, permission)) return;
  const needed = permissions[permission];
  throw new SlipwayError('SLW_FORBIDDEN', `your role '${role}' cannot do '${permission}'; it needs '${needed}' or above (ask a workspace admin)`);
}

/**
 * Checks that an actor with role `actor` may give someone role `target` (as a member role or a
 * token role): never above their own, and only owners make owners.
 */
export function assertCanGrant(actor: Role, target: Role): void {
  if (!atLeast(actor, target)) {
    throw new SlipwayError('SLW_ROLE_TOO_HIGH', `your role '${actor}' cannot grant the role '${target}', which is above it`);
  }
}

/** Who acts on a token, and whose token it is. */
export interface TokenActor {
  role: Role;
  /** The token acts (or would act) as the caller themselves. */
  isHolder: boolean;
  /** The caller is an instance admin using an instance token (not a workspace token). */
  instanceAdmin: boolean;
}

/**
 * Checks that `actor` may create or revoke a token that acts as `holder` (a member with
 * `holder.role`). A token acts as the member who creates it: only an instance admin, with an
 * instance token, creates one for another member. Only owners create or revoke a token that acts
 * as an owner, and nobody acts on the tokens of a member whose role is above their own.
 */
export function assertMayActOnToken(action: 'create' | 'revoke', actor: TokenActor, holder: { role: Role; email: string }): void {
  if (actor.isHolder) return;
  if (action === 'create' && !actor.instanceAdmin) {
    throw new SlipwayError('SLW_FORBIDDEN', `a token acts as the member who creates it: you cannot create one that acts as ${holder.email}; they create their own (or an instance admin does, with an instance token)`);
  }
  if (holder.role === 'owner' && actor.role !== 'owner') {
    throw new SlipwayError('SLW_FORBIDDEN', `only an owner may ${action} a token that acts as an owner (${holder.email})`);
  }
  if (!atLeast(actor.role, holder.role)) {
    throw new SlipwayError('SLW_ROLE_TOO_HIGH', `your role '${actor.role}' cannot ${action} a token of ${holder.email}, whose role '${holder.role}' is above it`);
  }
}
