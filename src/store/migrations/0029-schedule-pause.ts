/**
 * A pipeline schedule can be paused (and resumed) without changing the manifest: who paused it
 * and when; null while it runs. Schedules made before this run.
 * Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('pipeline_schedules').addColumn('paused_at', 'text').execute();
  await db.schema.alterTable('pipeline_schedules').addColumn('paused_by', 'text').execute();
}
