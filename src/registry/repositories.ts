/**
 * Registry repositories: `<workspace>/<project>`, one per project, created on first use.
 *
 * @module
 */
import { isRepositoryName } from '../core/oci.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Executor } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';

export interface Repository {
  id: string;
  name: string;
  workspaceId: string;
  projectId: string;
  keepVersions: number;
  protectedTags: string[];
}

/**
 * The repository named `name`, when it names an existing project (`<workspace>/<project>`);
 * null otherwise. Creates the repository's row the first time.
 */
export async function findRepository(db: Executor, name: string): Promise<Repository | null> {
  if (!isRepositoryName(name)) return null;
  const parts = name.split('/');
  if (parts.length !== 2) return null;
  const [workspace, project] = parts as [string, string];
  const existing = await db.selectFrom('registry_repositories').selectAll().where('name', '=', name).executeTakeFirst();
  if (existing) return toRepository(existing);
  const owner = await db
    .selectFrom('projects as p')
    .innerJoin('workspaces as w', 'w.id', 'p.workspace_id')
    .select(['p.id as projectId', 'w.id as workspaceId'])
    .where('w.name', '=', workspace)
    .where('p.name', '=', project)
    .executeTakeFirst();
  if (!owner) return null;
  return ensureRepository(db, owner.workspaceId, owner.projectId, name);
}

/** The repository of a project (creating its row when missing). */
export async function repositoryOfProject(db: Executor, workspace: { id: string; name: string }, project: { id: string; name: string }): Promise<Repository> {
  return ensureRepository(db, workspace.id, project.id, `${workspace.name}/${project.name}`);
}

async function ensureRepository(db: Executor, workspaceId: string, projectId: string, name: string): Promise<Repository> {
  const row = await db.selectFrom('registry_repositories').selectAll().where('project_id', '=', projectId).executeTakeFirst();
  if (row) return toRepository(row);
  try {
    await db.insertInto('registry_repositories').values({ id: newId('repo'), name, workspace_id: workspaceId, project_id: projectId, keep_versions: 20, protected_tags: '[]', created_at: nowIso() }).execute();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  const created = await db.selectFrom('registry_repositories').selectAll().where('project_id', '=', projectId).executeTakeFirstOrThrow();
  return toRepository(created);
}

function toRepository(row: { id: string; name: string; workspace_id: string; project_id: string; keep_versions: number; protected_tags: string }): Repository {
  return { id: row.id, name: row.name, workspaceId: row.workspace_id, projectId: row.project_id, keepVersions: row.keep_versions, protectedTags: JSON.parse(row.protected_tags) as string[] };
}

/**
 * Deletes the registry rows of a deleted project's repository (tags, manifests, blob links,
 * uploads, cached bases) inside the caller's transaction; the blobs themselves are left to the
 * garbage collection.
 */
export async function deleteRepositoryOfProject(tx: Executor, projectId: string): Promise<void> {
  const repo = await tx.selectFrom('registry_repositories').select('id').where('project_id', '=', projectId).executeTakeFirst();
  if (!repo) return;
  for (const table of ['registry_tags', 'registry_manifest_refs', 'registry_manifests', 'registry_repo_blobs', 'registry_uploads', 'registry_base_cache'] as const) {
    await tx.deleteFrom(table).where('repository_id', '=', repo.id).execute();
  }
  await tx.deleteFrom('registry_repositories').where('id', '=', repo.id).execute();
}
