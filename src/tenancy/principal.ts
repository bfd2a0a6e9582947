/**
 * Who is calling: the authenticated token, its user, and what it may reach.
 *
 * @module
 */
import type { Role } from '../core/roles.js';
import type { Actor } from '../audit/audit.js';

/** An authenticated caller. */
export interface Principal extends Actor {
  userId: string;
  tokenId: string;
  email: string;
  instanceAdmin: boolean;
  /** A workspace token reaches one workspace with at most `role`; null for an instance token. */
  scope: { workspaceId: string; role: Role } | null;
}

/** A workspace as the tenancy context returns it. */
export interface Workspace {
  id: string;
  name: string;
  tier: string;
  createdAt: string;
  updatedAt: string;
}

/** A principal's resolved access to one workspace. */
export interface WorkspaceAccess {
  principal: Principal;
  workspace: Workspace;
  /** The effective role: the member's role, capped by a workspace token's role. */
  role: Role;
}

/** The audit actor of a principal. */
export function actorOf(principal: Principal): Actor {
  return { userId: principal.userId, tokenId: principal.tokenId };
}
