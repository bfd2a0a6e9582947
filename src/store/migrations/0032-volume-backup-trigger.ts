/**
 * Volume backups say what made them: `manual` (by hand, and every one stored before this
 * migration: herd upgrades did not back up volumes then) or `upgrade` (a herd upgrade's backup
 * step). Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('volume_backups').addColumn('trigger', 'text', (c) => c.notNull().defaultTo('manual')).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('volume_backups').dropColumn('trigger').execute();
}
