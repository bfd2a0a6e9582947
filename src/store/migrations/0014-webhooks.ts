/**
 * Webhooks: one hook per project (random id, sealed secret), the deliveries it received (unique
 * per hook by the provider's delivery id, body kept for replay), and the source of each branch or
 * preview environment. Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('project_hooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull().unique())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('secret_envelope', 'text', (c) => c.notNull())
    .addColumn('secret_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('rotated_at', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('default_branch', 'text')
    .addColumn('branch_envs', 'text', (c) => c.notNull())
    .addColumn('previews', 'integer', (c) => c.notNull())
    .addColumn('preview_ttl_seconds', 'integer', (c) => c.notNull())
    .addColumn('failed_verifications', 'integer', (c) => c.notNull())
    .addColumn('last_failed_at', 'text')
    .execute();
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hook_id', 'text', (c) => c.notNull())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text')
    .addColumn('action', 'text')
    .addColumn('ref', 'text')
    .addColumn('sha', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('verification', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('duplicates', 'integer', (c) => c.notNull())
    .addUniqueConstraint('webhook_deliveries_once', ['hook_id', 'delivery_id'])
    .execute();
  await db.schema.createIndex('webhook_deliveries_status').on('webhook_deliveries').columns(['status', 'received_at']).execute();
  await db.schema.createIndex('webhook_deliveries_project').on('webhook_deliveries').columns(['project_id', 'received_at']).execute();
  await db.schema
    .createTable('environment_sources')
    .addColumn('environment_id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('head_ref', 'text')
    .addColumn('sha', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .execute();
  await db.schema.createIndex('environment_sources_ref').on('environment_sources').columns(['project_id', 'kind', 'ref']).unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('environment_sources').execute();
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('project_hooks').execute();
}
