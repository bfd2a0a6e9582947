/**
 * Sites (an application's environments, one per customer, with labels, a channel and a policy),
 * herd upgrades (waves of sites moved to a version, each site through backup → migration → deploy
 * → bake, reverted on failure), their per-site step logs, and the notifications an application
 * sends its admins. Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sites')
    .addColumn('environment_id', 'text', (c) => c.primaryKey())
    .addColumn('application_id', 'text', (c) => c.notNull())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('maintenance_window', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addUniqueConstraint('sites_application_name', ['application_id', 'name'])
    .execute();
  await db.schema
    .createTable('herd_upgrades')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('application_id', 'text', (c) => c.notNull())
    // The application's id while the upgrade is running or paused, else null: one at a time per application.
    .addColumn('active_key', 'text', (c) => c.unique())
    .addColumn('to_version', 'text', (c) => c.notNull())
    .addColumn('to_digest', 'text', (c) => c.notNull())
    .addColumn('selector', 'text')
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('failure_budget', 'integer', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .execute();
  await db.schema.createIndex('herd_upgrades_application').on('herd_upgrades').columns(['application_id', 'created_at']).execute();
  await db.schema
    .createTable('herd_upgrade_sites')
    .addColumn('upgrade_id', 'text', (c) => c.notNull())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('site', 'text', (c) => c.notNull())
    .addColumn('wave', 'integer', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('from_version', 'text')
    .addColumn('from_release', 'integer')
    .addColumn('backups', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text')
    .addColumn('revert_deployment_id', 'text')
    .addColumn('clone_environment_id', 'text')
    .addColumn('error', 'text')
    .addColumn('started_at', 'text')
    .addColumn('step_started_at', 'text')
    .addColumn('finished_at', 'text')
    .addPrimaryKeyConstraint('herd_upgrade_sites_pk', ['upgrade_id', 'environment_id'])
    .execute();
  await db.schema.createIndex('herd_upgrade_sites_wave').on('herd_upgrade_sites').columns(['upgrade_id', 'wave', 'position']).execute();
  await db.schema
    .createTable('herd_site_events')
    .addColumn('upgrade_id', 'text', (c) => c.notNull())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('herd_site_events_pk', ['upgrade_id', 'environment_id', 'seq'])
    .execute();
  await db.schema
    .createTable('application_notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('application_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('webhook_state', 'text')
    .addColumn('webhook_error', 'text')
    .execute();
  await db.schema.createIndex('application_notifications_app').on('application_notifications').columns(['application_id', 'created_at']).execute();
  await db.schema.alterTable('applications').addColumn('notify_url', 'text').execute();
  await db.schema.alterTable('applications').addColumn('notify_secret_envelope', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('applications').dropColumn('notify_secret_envelope').execute();
  await db.schema.alterTable('applications').dropColumn('notify_url').execute();
  for (const t of ['application_notifications', 'herd_site_events', 'herd_upgrade_sites', 'herd_upgrades', 'sites']) await db.schema.dropTable(t).execute();
}
