/**
 * Health gates: one row per release that switched traffic in an environment with a health gate,
 * watched for its bake time by the health-gate controller (deploy/health-gate.ts), with what it
 * measured, its verdict and the rollback it started. Leased and fenced like deployments.
 * Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('health_gates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text', (c) => c.notNull().unique())
    .addColumn('release_number', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull())
    .addColumn('errors', 'integer', (c) => c.notNull())
    .addColumn('probes', 'integer', (c) => c.notNull())
    .addColumn('replicas', 'integer', (c) => c.notNull())
    .addColumn('ready', 'integer')
    .addColumn('not_ready_since', 'text')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('reason', 'text')
    .addColumn('rollback_deployment_id', 'text')
    .addColumn('owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('fence', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('health_gates_status').on('health_gates').column('status').execute();
  await db.schema.createIndex('health_gates_environment').on('health_gates').column('environment_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('health_gates').execute();
}
