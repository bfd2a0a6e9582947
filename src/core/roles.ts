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
