/**
 * Backup schedules of environment volumes: at most one per volume of an environment (a cron
 * expression in UTC and how many scheduled backups to keep), taken by the server's scheduler as
 * attachments' schedules are (src/volumes/backup-scheduler.ts). Deleting the environment deletes
 * them in its transaction. Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('volume_backup_schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('volume', 'text', (c) => c.notNull())
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
  await db.schema.createIndex('volume_backup_schedules_volume').unique().on('volume_backup_schedules').columns(['environment_id', 'volume']).execute();
  await db.schema.createIndex('volume_backup_schedules_next').on('volume_backup_schedules').column('next_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('volume_backup_schedules').execute();
}
