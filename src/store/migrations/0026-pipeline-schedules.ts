/**
 * Pipeline schedules: one row per schedule of a project's manifest (pipeline, environment, cron),
 * kept in step with the manifest when it is applied, with the next slot it runs at and what its
 * last slot did. A due slot is taken by moving `next_at` on with a conditional update, so two
 * control planes (or a restart) never take one slot twice.
 * Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('pipeline_schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('cron', 'text', (c) => c.notNull())
    .addColumn('next_at', 'text', (c) => c.notNull())
    .addColumn('last_slot_at', 'text')
    .addColumn('last_run_id', 'text')
    .addColumn('last_outcome', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('pipeline_schedules_one', ['project_id', 'pipeline', 'environment', 'cron'])
    .execute();
  await db.schema.createIndex('pipeline_schedules_due').on('pipeline_schedules').column('next_at').execute();
}
