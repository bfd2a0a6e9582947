/**
 * Registry repositories: `<workspace>/<project>`, one per project.
 *
 * Lookups never write. A repository's row is created only by an authorized write into an
 * existing project of the caller's workspace (a push, a build, an import, a policy change, a
 * deploy); a pull, a HEAD, a token request or a tag list of a project without a row reads an
 * empty repository instead. So no request can make a row in a workspace it cannot write to.
 *
 * @module
 */
import { isRepositoryName } from '../core/oci.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Db, Executor } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';

export interface Repository {
  id: string;
  name: string;
  workspaceId: string;
  projectId: string;
  keepVersions: number;
  protectedTags: string[];
}

/** The default retention of a repository (newest N versions kept). */
export const defaultKeepVersions = 20;

/** The project a repository name `<workspace>/<project>` names, when that project exists. */
export async function projectOfRepository(db: Executor, name: string): Promise<{ workspaceId: string; projectId: string } | null> {
  if (!isRepositoryName(name)) return null;
  const parts = name.split('/');
  if (parts.length !== 2) return null;
  const [workspace, project] = parts as [string, string];
  const owner = await db
    .selectFrom('projects as p')
    .innerJoin('workspaces as w', 'w.id', 'p.workspace_id')
    .select(['p.id as projectId', 'w.id as workspaceId'])
    .where('w.name', '=', workspace)
    .where('p.name', '=', project)
    .executeTakeFirst();
  return owner ?? null;
}

/**
 * The repository `name` for reading: its row, or an empty repository when the project exists
 * without one; null when no such project exists. Never creates a row.
 */
export async function findRepository(db: Executor, name: string): Promise<Repository | null> {
  const owner = await projectOfRepository(db, name);
  if (!owner) return null;
  return (await findProjectRepository(db, owner.projectId)) ?? emptyRepository(name, owner);
}

/** The repository row of a project, or null (never creates one). */
export async function findProjectRepository(db: Executor, projectId: string): Promise<Repository | null> {
  const row = await db.selectFrom('registry_repositories').selectAll().where('project_id', '=', projectId).executeTakeFirst();
  return row ? toRepository(row) : null;
}

/**
 * What a read of a project without a row sees: an empty repository with the default policy.
 * Its id matches no row, so every read of it finds nothing; writes go through
 * {@link repositoryOfProject}, which creates the row first.
 */
export function emptyRepository(name: string, owner: { workspaceId: string; projectId: string }): Repository {
  return { id: '', name, workspaceId: owner.workspaceId, projectId: owner.projectId, keepVersions: defaultKeepVersions, protectedTags: [] };
}

/**
 * The repository of a project, creating its row when missing. Only for authorized writes into
 * that project (push, build, import, policy change, deploy).
 */
export async function repositoryOfProject(db: Executor, workspace: { id: string; name: string }, project: { id: string; name: string }): Promise<Repository> {
  return ensureRepository(db, workspace.id, project.id, `${workspace.name}/${project.name}`);
}

/** {@link repositoryOfProject} by the repository's name; null when no such project exists. */
export async function repositoryForPush(db: Executor, name: string): Promise<Repository | null> {
  const owner = await projectOfRepository(db, name);
  return owner ? ensureRepository(db, owner.workspaceId, owner.projectId, name) : null;
}

async function ensureRepository(db: Executor, workspaceId: string, projectId: string, name: string): Promise<Repository> {
  const row = await findProjectRepository(db, projectId);
  if (row) return row;
  try {
    await db.insertInto('registry_repositories').values({ id: newId('repo'), name, workspace_id: workspaceId, project_id: projectId, keep_versions: defaultKeepVersions, protected_tags: '[]', created_at: nowIso() }).execute();
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
  for (const table of ['registry_immutable_tags', 'registry_tags', 'registry_manifest_refs', 'registry_manifests', 'registry_repo_blobs', 'registry_uploads', 'registry_base_cache'] as const) {
    await tx.deleteFrom(table).where('repository_id', '=', repo.id).execute();
  }
  await tx.deleteFrom('registry_repositories').where('id', '=', repo.id).execute();
}

/**
 * Deletes the row of repository `id` when it holds nothing (no blob, upload, manifest, tag or
 * cached base): undoes the row a project's first push made when that push was then refused.
 */
export async function dropRepositoryIfEmpty(db: Db, id: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const table of ['registry_repo_blobs', 'registry_uploads', 'registry_manifests', 'registry_tags', 'registry_immutable_tags', 'registry_base_cache'] as const) {
      if (await tx.selectFrom(table).select('repository_id').where('repository_id', '=', id).limit(1).executeTakeFirst()) return;
    }
    await tx.deleteFrom('registry_repositories').where('id', '=', id).execute();
  });
}
