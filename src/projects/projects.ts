/**
 * Projects and their environments. A new project gets its tier's default environments; more
 * environments follow the tier's rules (see core/tiers.ts).
 *
 * @module
 */
import { SlipwayError, notFound } from '../core/errors.js';
import { assertName } from '../core/names.js';
import { assertDeletableEnvironment, classifyNewEnvironment, defaultEnvironments, environmentKinds, parseTier, pipelineOrder, type EnvironmentKind } from '../core/tiers.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { isUniqueViolation } from '../store/errors.js';
import type { Db, EnvironmentsTable, Executor, ProjectsTable } from '../store/schema.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';

/** A project as the API returns it. */
export interface Project {
  id: string;
  name: string;
  workspace: string;
  configVersion: number;
  createdAt: string;
  environments: string[];
}

/** An environment as the API returns it. */
export interface Environment {
  id: string;
  name: string;
  project: string;
  kind: EnvironmentKind;
  createdAt: string;
  /** False for a default environment of the workspace's tier (deleting it is refused). */
  deletable: boolean;
}

/** Resolved project access: the workspace access plus the project row. */
export interface ProjectAccess extends WorkspaceAccess {
  project: ProjectsTable;
}

/** Resolved environment access. */
export interface EnvironmentAccess extends ProjectAccess {
  environment: EnvironmentsTable;
}

/** Finds a project inside the accessed workspace, or throws not found. */
export async function resolveProject(db: Executor, access: WorkspaceAccess, name: string): Promise<ProjectAccess> {
  const project = await db.selectFrom('projects').selectAll().where('workspace_id', '=', access.workspace.id).where('name', '=', name).executeTakeFirst();
  if (!project) throw notFound('project', name, `workspace '${access.workspace.name}'`);
  return { ...access, project };
}

/** Finds an environment inside the accessed project, or throws not found. */
export async function resolveEnvironment(db: Executor, access: ProjectAccess, name: string): Promise<EnvironmentAccess> {
  const environment = await db.selectFrom('environments').selectAll().where('project_id', '=', access.project.id).where('name', '=', name).executeTakeFirst();
  if (!environment) throw notFound('environment', name, `project '${access.project.name}'`);
  return { ...access, environment };
}

async function environmentNames(db: Executor, projectId: string): Promise<string[]> {
  const rows = await db.selectFrom('environments').select('name').where('project_id', '=', projectId).execute();
  return rows.map((r) => r.name).sort((a, b) => pipelineOrder(a).localeCompare(pipelineOrder(b)));
}

/** The project as the API returns it. */
export async function describeProject(db: Executor, access: ProjectAccess): Promise<Project> {
  const p = access.project;
  return { id: p.id, name: p.name, workspace: access.workspace.name, configVersion: p.config_version, createdAt: p.created_at, environments: await environmentNames(db, p.id) };
}

/** The workspace's projects, by name. */
export async function listProjects(db: Executor, access: WorkspaceAccess): Promise<Project[]> {
  const rows = await db.selectFrom('projects').selectAll().where('workspace_id', '=', access.workspace.id).orderBy('name').execute();
  return Promise.all(rows.map((project) => describeProject(db, { ...access, project })));
}

/** Creates a project with its tier's default environments. */
export async function createProject(db: Db, access: WorkspaceAccess, input: { name: string }): Promise<Project> {
  const name = assertName('project', input.name);
  const tier = parseTier(access.workspace.tier);
  const now = nowIso();
  const project: ProjectsTable = { id: newId('prj'), workspace_id: access.workspace.id, name, config_version: 0, created_at: now };
  const envs = defaultEnvironments(tier);
  try {
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('projects').values(project).execute();
      for (const env of envs) {
        await tx.insertInto('environments').values({ id: newId('env'), project_id: project.id, name: env, kind: 'standard', created_at: now }).execute();
      }
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'project.create', targetType: 'project', target: name, details: { environments: envs } });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_ALREADY_EXISTS', `project '${name}' already exists in workspace '${access.workspace.name}'`);
    throw error;
  }
  return { id: project.id, name, workspace: access.workspace.name, configVersion: 0, createdAt: now, environments: [...envs] };
}

/** The project's environments in pipeline order (dev, staging, prod, then the rest). */
export async function listEnvironments(db: Executor, access: ProjectAccess): Promise<Environment[]> {
  const rows = await db.selectFrom('environments').selectAll().where('project_id', '=', access.project.id).execute();
  return rows.sort((a, b) => pipelineOrder(a.name).localeCompare(pipelineOrder(b.name))).map((e) => toEnvironment(access, e));
}

/** The environment as the API returns it. */
export function toEnvironment(access: ProjectAccess, e: EnvironmentsTable): Environment {
  const kind = (environmentKinds as readonly string[]).includes(e.kind) ? (e.kind as EnvironmentKind) : 'standard';
  return { id: e.id, name: e.name, project: access.project.name, kind, createdAt: e.created_at, deletable: !defaultEnvironments(parseTier(access.workspace.tier)).includes(e.name) };
}

/** Creates an environment if the workspace's tier allows it. */
export async function createEnvironment(db: Db, access: ProjectAccess, input: { name: string }): Promise<Environment> {
  const name = assertName('environment', input.name);
  const kind = classifyNewEnvironment(parseTier(access.workspace.tier), name);
  const row: EnvironmentsTable = { id: newId('env'), project_id: access.project.id, name, kind, created_at: nowIso() };
  try {
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('environments').values(row).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'environment.create', targetType: 'environment', target: `${access.project.name}/${name}`, details: { kind } });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_ALREADY_EXISTS', `environment '${name}' already exists in project '${access.project.name}'`);
    throw error;
  }
  return toEnvironment(access, row);
}

/** A service attachment an environment's deletion marked detaching (to announce once the deletion is stored). */
export interface DetachedByDeletion {
  workspaceId: string;
  service: string;
  project: string;
  environment: string;
}

/**
 * Deletes the rows of environments (their config, secrets and settings) inside the caller's
 * transaction; the deploy context deletes its records (releases, deployments) first. Returns the
 * attachments it marked detaching (those not detaching already).
 */
export async function deleteEnvironmentRows(tx: Executor, environmentIds: string[]): Promise<DetachedByDeletion[]> {
  if (environmentIds.length === 0) return [];
  // Service attachments outlive the environment until the services sweep has revoked their
  // credentials (their data is kept, as by a detach without --drop-data).
  const detached = await tx
    .selectFrom('service_attachments as a')
    .innerJoin('services as s', 's.id', 'a.service_id')
    .innerJoin('environments as e', 'e.id', 'a.environment_id')
    .innerJoin('projects as p', 'p.id', 'e.project_id')
    .select(['a.workspace_id as workspaceId', 's.name as service', 'p.name as project', 'e.name as environment'])
    .where('a.environment_id', 'in', environmentIds)
    .where('a.state', '=', 'attached')
    .orderBy('s.name')
    .execute();
  await tx.updateTable('service_attachments').set({ state: 'detaching' }).where('environment_id', 'in', environmentIds).execute();
  await tx.deleteFrom('service_backup_schedules').where('environment_id', 'in', environmentIds).execute();
  await tx.deleteFrom('config_layers').where('environment_id', 'in', environmentIds).execute();
  await tx.deleteFrom('secrets').where('environment_id', 'in', environmentIds).execute();
  await tx.deleteFrom('environment_sources').where('environment_id', 'in', environmentIds).execute();
  await tx.deleteFrom('sites').where('environment_id', 'in', environmentIds).execute();
  await tx.deleteFrom('environments').where('id', 'in', environmentIds).execute();
  return detached;
}

/** Deletes a project's own rows (after its environments', inside the caller's transaction). */
export async function deleteProjectRows(tx: Executor, projectId: string): Promise<void> {
  await tx.deleteFrom('config_layers').where('project_id', '=', projectId).execute();
  await tx.deleteFrom('secrets').where('project_id', '=', projectId).execute();
  await tx.deleteFrom('projects').where('id', '=', projectId).execute();
}

/** Refuses to delete a default environment of the workspace's tier. */
export function assertEnvironmentDeletable(access: EnvironmentAccess): void {
  assertDeletableEnvironment(parseTier(access.workspace.tier), access.environment.name);
}

