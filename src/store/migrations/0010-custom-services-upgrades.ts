/**
 * Custom services (any image with a port, or a server at HOST:PORT) and explicit image upgrades
 * of provisioned services.
 *
 * - `custom_services`: what a custom service needs beyond its `services` row: the URL scheme of
 *   `<PREFIX>_URL`, the health check, where its volume is mounted, and the environment given at
 *   create (names in clear, the values sealed like secrets).
 * - `service_upgrades`: one row per upgrade of a provisioned service's image: the previous and
 *   the new digest, the backups taken first, how it ended. At most one `running` per service (a
 *   partial unique index), owned by the server process running it.
 *
 * Never edit a released migration; add a new one.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('custom_services')
    .addColumn('service_id', 'text', (c) => c.primaryKey().references('services.id'))
    .addColumn('scheme', 'text', (c) => c.notNull())
    .addColumn('health', 'text', (c) => c.notNull())
    .addColumn('volume_path', 'text')
    .addColumn('env_names', 'text', (c) => c.notNull())
    .addColumn('env_envelope', 'text')
    .execute();
  await db.schema
    .createTable('service_upgrades')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
    .addColumn('from_image', 'text', (c) => c.notNull())
    .addColumn('from_digest', 'text', (c) => c.notNull())
    .addColumn('to_image', 'text', (c) => c.notNull())
    .addColumn('to_digest', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('backups', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('duration_ms', 'integer')
    .addColumn('created_by', 'text')
    .execute();
  await db.schema.createIndex('service_upgrades_service').on('service_upgrades').columns(['service_id', 'started_at']).execute();
  await db.schema.createIndex('service_upgrades_one_running').on('service_upgrades').column('service_id').unique().where(sql.ref('status'), '=', 'running').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('service_upgrades').execute();
  await db.schema.dropTable('custom_services').execute();
}
