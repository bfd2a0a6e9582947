/**
 * The text of a project's manifest as last reviewed, kept while later applies wait for review, so
 * a reviewer reads what changed since. Manifests reviewed before this have none (read whole).
 * Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('project_manifests').addColumn('reviewed_yaml', 'text').execute();
}
