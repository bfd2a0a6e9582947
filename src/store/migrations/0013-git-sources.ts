/**
 * Git sources: a project's linked repository (URL, default branch, branch-environment patterns,
 * its credential sealed with the keyring, write-only; runtime and base for the builder), and the
 * builds made from its commits (commit, ref, version, digest, status, error, log).
 * Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('git_sources')
    .addColumn('project_id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('default_branch', 'text', (c) => c.notNull())
    .addColumn('branch_envs', 'text', (c) => c.notNull())
    .addColumn('credential_envelope', 'text')
    .addColumn('credential_generation', 'integer', (c) => c.notNull())
    .addColumn('runtime', 'text')
    .addColumn('base', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .execute();
  await db.schema
    .createTable('git_builds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('commit_sha', 'text')
    .addColumn('version', 'text')
    .addColumn('digest', 'text')
    .addColumn('method', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('log', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('git_builds_project').on('git_builds').columns(['project_id', 'started_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('git_builds').execute();
  await db.schema.dropTable('git_sources').execute();
}
