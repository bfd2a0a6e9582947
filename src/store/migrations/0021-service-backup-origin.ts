/**
 * Where a service backup came from, recorded on its row: the project, environment, variable
 * prefix and resource of its attachment. The attachment's row goes once it is detached (or its
 * environment deleted), and the backup outlives it; without these the backup could not say what
 * it is a backup of. Rows made before are filled from what still exists (null where it is gone).
 * Never edit a released migration; add a new one.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['project_name', 'environment_name', 'prefix', 'resource']) await db.schema.alterTable('service_backups').addColumn(column, 'text').execute();
  await sql`UPDATE service_backups SET
    environment_name = (SELECT e.name FROM environments e WHERE e.id = service_backups.environment_id),
    project_name = (SELECT p.name FROM environments e INNER JOIN projects p ON p.id = e.project_id WHERE e.id = service_backups.environment_id),
    prefix = (SELECT a.prefix FROM service_attachments a WHERE a.id = service_backups.attachment_id),
    resource = (SELECT a.resource FROM service_attachments a WHERE a.id = service_backups.attachment_id)`.execute(db);
  await db.schema.createIndex('service_backups_service').on('service_backups').columns(['service_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('service_backups_service').execute();
  for (const column of ['resource', 'prefix', 'environment_name', 'project_name']) await db.schema.alterTable('service_backups').dropColumn(column).execute();
}
