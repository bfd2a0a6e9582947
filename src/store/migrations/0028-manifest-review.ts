/**
 * Review of a project's manifest for its protected environments: a digest of what it runs
 * (pipelines and release step) and who reviewed it when. Manifests applied before this have no
 * review: an environment that requires approval runs their jobs only once an admin or owner
 * reviews them (or applies them again).
 * Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('project_manifests').addColumn('runs_digest', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('project_manifests').addColumn('reviewed_at', 'text').execute();
  await db.schema.alterTable('project_manifests').addColumn('reviewed_by', 'text').execute();
}
