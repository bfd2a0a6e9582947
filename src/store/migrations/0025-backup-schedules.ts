/**
 * Scheduled backups of attachments: one schedule per attachment (a cron expression in UTC, how
 * many scheduled backups to keep, the next slot `next_at`, and the outcome of the last slot
 * taken), gone with its attachment (ON DELETE CASCADE; detach and an environment's deletion also
 * remove it at once). Backups say what made them (`trigger`: manual, upgrade or schedule); rows
 * made before are `upgrade` where a herd or service upgrade recorded them, `manual` otherwise.
 * Never edit a released migration; add a new one.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('service_backups').addColumn('trigger', 'text', (c) => c.notNull().defaultTo('manual')).execute();
  await sql`UPDATE service_backups SET trigger = 'upgrade'
    WHERE EXISTS (SELECT 1 FROM service_upgrades u WHERE u.backups LIKE '%"' || service_backups.id || '"%')
       OR EXISTS (SELECT 1 FROM herd_upgrade_sites s WHERE s.backups LIKE '%"' || service_backups.id || '"%')`.execute(db);
  await db.schema
    .createTable('service_backup_schedules')
    .addColumn('attachment_id', 'text', (c) => c.primaryKey().references('service_attachments.id').onDelete('cascade'))
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('cron', 'text', (c) => c.notNull())
    .addColumn('keep', 'integer')
    .addColumn('next_at', 'text')
    .addColumn('last_slot', 'text')
    .addColumn('last_status', 'text')
    .addColumn('last_owner', 'text')
    .addColumn('last_started_at', 'text')
    .addColumn('last_finished_at', 'text')
    .addColumn('last_backup_id', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('service_backup_schedules_next').on('service_backup_schedules').columns(['next_at']).execute();
  await db.schema.createIndex('service_backups_trigger').on('service_backups').columns(['attachment_id', 'trigger', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('service_backups_trigger').execute();
  await db.schema.dropTable('service_backup_schedules').execute();
  await db.schema.alterTable('service_backups').dropColumn('trigger').execute();
}
