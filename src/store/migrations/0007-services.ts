/**
 * Services: shared servers (adopted today) that environments attach to, each attachment with a
 * database / vhost / key prefix and credentials of its own, in generations (rotation makes a new
 * one; the old one is revoked once no running release uses it). A release records which
 * credential generation of each attachment it ran with.
 * Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('services')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('workload_host', 'text', (c) => c.notNull())
    .addColumn('workload_port', 'integer', (c) => c.notNull())
    .addColumn('admin_envelope', 'text', (c) => c.notNull())
    .addColumn('server_version', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addUniqueConstraint('services_name', ['workspace_id', 'name'])
    .execute();
  await db.schema
    .createTable('service_attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('drop_data', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addUniqueConstraint('service_attachments_one', ['service_id', 'environment_id', 'prefix'])
    .execute();
  await db.schema.createIndex('service_attachments_environment').on('service_attachments').columns(['environment_id', 'state']).execute();
  await db.schema
    .createTable('service_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('attachment_id', 'text', (c) => c.notNull().references('service_attachments.id'))
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('envelope', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addUniqueConstraint('service_credentials_generation', ['attachment_id', 'generation'])
    .execute();
  await db.schema.createIndex('service_credentials_state').on('service_credentials').columns(['state']).execute();
  await db.schema.alterTable('releases').addColumn('service_credentials', 'text', (c) => c.notNull().defaultTo('{}')).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('releases').dropColumn('service_credentials').execute();
  await db.schema.dropTable('service_credentials').execute();
  await db.schema.dropTable('service_attachments').execute();
  await db.schema.dropTable('services').execute();
}
