/**
 * Workspaces: the tenant boundary. Creation, listing, tier changes, and resolving a caller's
 * access to one workspace (where cross-workspace isolation is enforced).
 *
 * @module
 */
import { SlipwayError, notFound } from '../core/errors.js';
import { assertName } from '../core/names.js';
import { parseRole, weaker, type Role } from '../core/roles.js';
import { environmentsToAddOnTierChange, parseTier, type Tier } from '../core/tiers.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { isUniqueViolation } from '../store/errors.js';
import type { Db, Executor, WorkspacesTable } from '../store/schema.js';
import { actorOf, type Principal, type Workspace, type WorkspaceAccess } from './principal.js';

/** A workspace with the caller's role in it. */
export interface WorkspaceView extends Workspace {
  role: Role;
}

function toWorkspace(r: WorkspacesTable): Workspace {
  return { id: r.id, name: r.name, tier: r.tier, createdAt: r.created_at, updatedAt: r.updated_at };
}

/**
 * Resolves `name` to the workspace and the caller's effective role. A workspace that does not
 * exist, that a workspace token is not scoped to, or that the user is not a member of, all give
 * the same `SLW_NOT_FOUND`, so no token learns what other workspaces exist.
 */
export async function resolveWorkspace(db: Executor, principal: Principal, name: string): Promise<WorkspaceAccess> {
  const row = await db
    .selectFrom('workspaces as w')
    .innerJoin('members as m', 'm.workspace_id', 'w.id')
    .selectAll('w')
    .select('m.role as member_role')
    .where('w.name', '=', name)
    .where('m.user_id', '=', principal.userId)
    .executeTakeFirst();
  if (!row || (principal.scope && principal.scope.workspaceId !== row.id)) throw notFound('workspace', name);
  const memberRole = parseRole(row.member_role);
  const role = principal.scope ? weaker(principal.scope.role, memberRole) : memberRole;
  return { principal, workspace: toWorkspace(row), role };
}

/** Workspaces the caller can reach, by name. */
export async function listWorkspaces(db: Executor, principal: Principal): Promise<WorkspaceView[]> {
  let q = db
    .selectFrom('workspaces as w')
    .innerJoin('members as m', 'm.workspace_id', 'w.id')
    .selectAll('w')
    .select('m.role as member_role')
    .where('m.user_id', '=', principal.userId);
  if (principal.scope) q = q.where('w.id', '=', principal.scope.workspaceId);
  const rows = await q.orderBy('w.name').execute();
  return rows.map((r) => {
    const memberRole = parseRole(r.member_role);
    return { ...toWorkspace(r), role: principal.scope ? weaker(principal.scope.role, memberRole) : memberRole };
  });
}

/**
 * Creates a workspace; the caller becomes its owner. Only an instance admin, with an instance
 * token, may create workspaces.
 */
export async function createWorkspace(db: Db, principal: Principal, input: { name: string; tier: string }): Promise<WorkspaceView> {
  if (principal.scope) {
    throw new SlipwayError('SLW_WORKSPACE_TOKEN_SCOPE', 'a workspace token cannot create workspaces; use an instance admin token (the first one is in <data-dir>/admin-token)');
  }
  if (!principal.instanceAdmin) throw new SlipwayError('SLW_FORBIDDEN', 'only an instance admin can create workspaces');
  const name = assertName('workspace', input.name);
  const tier = parseTier(input.tier);
  const now = nowIso();
  const row: WorkspacesTable = { id: newId('ws'), name, tier, created_at: now, updated_at: now };
  try {
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('workspaces').values(row).execute();
      await tx.insertInto('members').values({ workspace_id: row.id, user_id: principal.userId, role: 'owner', created_at: now }).execute();
      await recordAudit(tx, actorOf(principal), { workspaceId: row.id, action: 'workspace.create', targetType: 'workspace', target: name, details: { tier } });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_ALREADY_EXISTS', `workspace '${name}' already exists; choose another name`);
    throw error;
  }
  return { ...toWorkspace(row), role: 'owner' };
}

/**
 * Moves a workspace to another tier. Projects gain the new tier's default environments they
 * lack; no environment is ever removed (a downgrade keeps what exists).
 */
export async function changeTier(db: Db, access: WorkspaceAccess, tierText: string): Promise<{ workspace: WorkspaceView; environmentsAdded: string[] }> {
  const tier: Tier = parseTier(tierText);
  const from = access.workspace.tier;
  const added: string[] = [];
  const now = nowIso();
  if (tier !== from) {
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('workspaces').set({ tier, updated_at: now }).where('id', '=', access.workspace.id).execute();
      const projects = await tx.selectFrom('projects').select(['id', 'name']).where('workspace_id', '=', access.workspace.id).execute();
      for (const p of projects) {
        const existing = await tx.selectFrom('environments').select('name').where('project_id', '=', p.id).execute();
        for (const envName of environmentsToAddOnTierChange(tier, existing.map((e) => e.name))) {
          await tx.insertInto('environments').values({ id: newId('env'), project_id: p.id, name: envName, kind: 'standard', created_at: now }).execute();
          added.push(`${p.name}/${envName}`);
        }
      }
      await recordAudit(tx, actorOf(access.principal), {
        workspaceId: access.workspace.id,
        action: 'workspace.tier',
        targetType: 'workspace',
        target: access.workspace.name,
        details: { from, to: tier, environmentsAdded: added },
      });
    });
  }
  const updatedAt = tier !== from ? now : access.workspace.updatedAt;
  return { workspace: { ...access.workspace, tier, updatedAt, role: access.role }, environmentsAdded: added };
}
