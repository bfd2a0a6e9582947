/**
 * Applications' upstream hooks (the URL a registry calls when a tag is pushed, with its sealed
 * secret), and what the outgoing notification webhook needs: a key that makes a notification
 * once-only (a version is announced once, whichever control plane sees it first), and the
 * attempt count and due time of its delivery (retries survive a restart).
 * Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('application_hooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('application_id', 'text', (c) => c.notNull().unique())
    .addColumn('secret_envelope', 'text', (c) => c.notNull())
    .addColumn('secret_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('rotated_at', 'text')
    .addColumn('calls', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_called_at', 'text')
    .addColumn('failed_verifications', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_failed_at', 'text')
    .execute();
  await db.schema.alterTable('application_notifications').addColumn('dedupe_key', 'text').execute();
  await db.schema.alterTable('application_notifications').addColumn('webhook_attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('application_notifications').addColumn('webhook_next_at', 'text').execute();
  await db.schema.createIndex('application_notifications_dedupe').on('application_notifications').columns(['application_id', 'dedupe_key']).unique().execute();
  await db.schema.createIndex('application_notifications_due').on('application_notifications').columns(['webhook_state', 'webhook_next_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('application_notifications_due').execute();
  await db.schema.dropIndex('application_notifications_dedupe').execute();
  for (const c of ['webhook_next_at', 'webhook_attempts', 'dedupe_key']) await db.schema.alterTable('application_notifications').dropColumn(c).execute();
  await db.schema.dropTable('application_hooks').execute();
}
