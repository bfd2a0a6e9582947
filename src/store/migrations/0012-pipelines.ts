/**
 * Pipelines: the manifest applied to each project, pipeline runs (a release step is a run too,
 * tied to its deployment), their jobs and their numbered log lines. At most one run of a
 * project's pipeline runs and at most one waits (unique partial indexes, not a read-then-write);
 * a deployment has at most one release-step run.
 * Never edit a released migration; add a new one.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('project_manifests')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id'))
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('yaml', 'text', (c) => c.notNull())
    .addColumn('parsed', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('commit_sha', 'text')
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .addColumn('applied_by', 'text')
    .execute();
  await db.schema
    .createTable('pipeline_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id'))
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('image_digest', 'text', (c) => c.notNull())
    .addColumn('jobs', 'text', (c) => c.notNull())
    .addColumn('trigger_kind', 'text', (c) => c.notNull())
    .addColumn('trigger_by', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('promotion_id', 'text')
    .addColumn('deployment_id', 'text')
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('fence', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('error', 'text')
    .execute();
  await sql`create unique index pipeline_runs_one_running on pipeline_runs (project_id, pipeline) where status = 'running' and trigger_kind <> 'release'`.execute(db);
  await sql`create unique index pipeline_runs_one_queued on pipeline_runs (project_id, pipeline) where status = 'queued' and trigger_kind <> 'release'`.execute(db);
  await sql`create unique index pipeline_runs_release on pipeline_runs (deployment_id) where trigger_kind = 'release'`.execute(db);
  await db.schema.createIndex('pipeline_runs_project').on('pipeline_runs').columns(['project_id', 'created_at']).execute();
  await db.schema.createIndex('pipeline_runs_status').on('pipeline_runs').column('status').execute();
  await db.schema
    .createTable('pipeline_run_jobs')
    .addColumn('run_id', 'text', (c) => c.notNull().references('pipeline_runs.id'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('image', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer')
    .addColumn('message', 'text')
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addPrimaryKeyConstraint('pipeline_run_jobs_pk', ['run_id', 'idx'])
    .execute();
  await db.schema
    .createTable('pipeline_run_logs')
    .addColumn('run_id', 'text', (c) => c.notNull().references('pipeline_runs.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('line', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('pipeline_run_logs_pk', ['run_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('pipeline_run_logs').execute();
  await db.schema.dropTable('pipeline_run_jobs').execute();
  await db.schema.dropIndex('pipeline_runs_status').execute();
  await db.schema.dropIndex('pipeline_runs_project').execute();
  await db.schema.dropIndex('pipeline_runs_release').execute();
  await db.schema.dropIndex('pipeline_runs_one_queued').execute();
  await db.schema.dropIndex('pipeline_runs_one_running').execute();
  await db.schema.dropTable('pipeline_runs').execute();
  await db.schema.dropTable('project_manifests').execute();
}
