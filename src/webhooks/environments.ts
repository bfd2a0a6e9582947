/**
 * Branch and preview environments: made on the first push of a branch (or the opening of a
 * request), remembered with what they follow (environment_sources), and removed with their
 * containers and routes (deploy/removal.ts) when the branch is deleted, the request closes, or a
 * preview's TTL runs out.
 *
 * They are custom environments as far as the tier goes (core/tiers.ts
 * classifyFollowingEnvironment: high and business tiers only). Their config is the project's base
 * layer until someone sets their own (every environment's config inherits the base); their
 * default domain follows from the name (`<name>.<project>.<workspace>.localhost`); their deploy
 * strategy is the default, rolling.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { classifyFollowingEnvironment, parseTier } from '../core/tiers.js';
import { systemActor, recordAudit } from '../audit/audit.js';
import { deleteEnvironment } from '../deploy/removal.js';
import type { Placements } from '../deploy/target.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';
import { isUniqueViolation } from '../store/errors.js';
import type { Db, EnvironmentSourcesTable } from '../store/schema.js';

export type FollowingKind = 'branch' | 'preview';

/** What a branch or preview environment follows. */
export interface Following {
  kind: FollowingKind;
  name: string;
  /** The branch, or the request number. */
  ref: string;
  headRef: string;
  sha: string;
  /** A preview's end; null for a branch environment. */
  expiresAt: string | null;
}

/** Finds or makes the environment, and records the commit it now follows. */
export async function ensureFollowingEnvironment(db: Db, access: ProjectAccess, f: Following): Promise<{ access: EnvironmentAccess; created: boolean }> {
  try {
    return await db.transaction().execute(async (tx) => {
      const now = nowIso();
      let environment = await tx.selectFrom('environments').selectAll().where('project_id', '=', access.project.id).where('name', '=', f.name).executeTakeFirst();
      const source = await tx.selectFrom('environment_sources').selectAll().where('project_id', '=', access.project.id).where('kind', '=', f.kind).where('ref', '=', f.ref).executeTakeFirst();
      let created = false;
      if (environment) {
        if (!source || source.environment_id !== environment.id) {
          throw new SlipwayError('SLW_ALREADY_EXISTS', `environment '${f.name}' of project '${access.project.name}' exists and does not follow ${describe(f)}; rename or delete it to let ${describe(f)} have its ${f.kind} environment`);
        }
      } else {
        classifyFollowingEnvironment(parseTier(access.workspace.tier), f.name, f.kind);
        environment = { id: newId('env'), project_id: access.project.id, name: f.name, kind: f.kind, created_at: now };
        await tx.insertInto('environments').values(environment).execute();
        // A source left by an environment deleted by hand is replaced.
        if (source) await tx.deleteFrom('environment_sources').where('environment_id', '=', source.environment_id).execute();
        await recordAudit(tx, systemActor, { workspaceId: access.workspace.id, action: 'environment.create', targetType: 'environment', target: `${access.project.name}/${f.name}`, details: { kind: f.kind, follows: f.ref, via: 'webhook' } });
        created = true;
      }
      const row: EnvironmentSourcesTable = { environment_id: environment.id, project_id: access.project.id, kind: f.kind, ref: f.ref, head_ref: f.headRef, sha: f.sha, updated_at: now, expires_at: f.expiresAt };
      if (created) await tx.insertInto('environment_sources').values(row).execute();
      else await tx.updateTable('environment_sources').set({ head_ref: f.headRef, sha: f.sha, updated_at: now, expires_at: f.expiresAt }).where('environment_id', '=', environment.id).execute();
      return { access: { ...access, environment }, created };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_ALREADY_EXISTS', `environment '${f.name}' of project '${access.project.name}' was made meanwhile by another delivery; replay this one`);
    throw error;
  }
}

function describe(f: Pick<Following, 'kind' | 'ref'>): string {
  return f.kind === 'branch' ? `branch '${f.ref}'` : `request #${f.ref}`;
}

/** The environment following this branch or request, if there is one. */
export async function followingEnvironment(db: Db, access: ProjectAccess, kind: FollowingKind, ref: string): Promise<EnvironmentAccess | null> {
  const row = await db
    .selectFrom('environment_sources as s')
    .innerJoin('environments as e', 'e.id', 's.environment_id')
    .selectAll('e')
    .where('s.project_id', '=', access.project.id)
    .where('s.kind', '=', kind)
    .where('s.ref', '=', ref)
    .executeTakeFirst();
  return row ? { ...access, environment: row } : null;
}

/**
 * Removes a branch or preview environment with its containers and routes. A deploy still running
 * there is waited for (up to `waitMs`), as a deletion by hand would have to.
 */
export async function removeFollowingEnvironment(db: Db, placements: Placements, env: EnvironmentAccess, waitMs = 300_000, signal?: AbortSignal): Promise<void> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      // A preview's volumes go with it (it expires by design); a branch environment's stay on their target, as a deletion by hand keeps them.
      await deleteEnvironment(db, placements, env, undefined, { dropVolumes: env.environment.kind === 'preview' });
      return;
    } catch (error) {
      if (!(error instanceof SlipwayError && error.code === 'SLW_DEPLOY_IN_PROGRESS') || Date.now() > until || signal?.aborted) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Preview environments whose TTL has run out. */
export async function expiredPreviews(db: Db, now: string): Promise<Array<{ environmentId: string; projectId: string }>> {
  const rows = await db.selectFrom('environment_sources').select(['environment_id', 'project_id']).where('kind', '=', 'preview').where('expires_at', 'is not', null).where('expires_at', '<', now).execute();
  return rows.map((r) => ({ environmentId: r.environment_id, projectId: r.project_id }));
}

/** The project's branch and preview environments with what they follow, newest update first. */
export async function listFollowing(db: Db, projectId: string) {
  const rows = await db
    .selectFrom('environment_sources as s')
    .innerJoin('environments as e', 'e.id', 's.environment_id')
    .select(['e.name', 's.kind', 's.ref', 's.head_ref', 's.sha', 's.updated_at', 's.expires_at'])
    .where('s.project_id', '=', projectId)
    .orderBy('s.updated_at', 'desc')
    .execute();
  return rows.map((r) => ({ name: r.name, kind: r.kind === 'preview' ? ('preview' as const) : ('branch' as const), ref: r.ref, headRef: r.head_ref, sha: r.sha, updatedAt: r.updated_at, expiresAt: r.expires_at }));
}
