/**
 * Provisioned services: a service Slipway runs itself as a workload on a placement (one replica,
 * a named volume for its data, a private network workloads of attached environments join), with
 * the image pinned by digest. One row per provisioned service beside its `services` row.
 * Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('provisioned_services')
    .addColumn('service_id', 'text', (c) => c.primaryKey().references('services.id'))
    .addColumn('placement', 'text', (c) => c.notNull())
    .addColumn('image', 'text', (c) => c.notNull())
    .addColumn('image_digest', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('workload', 'text', (c) => c.notNull())
    .addColumn('volume', 'text', (c) => c.notNull())
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('memory_bytes', 'integer')
    .addColumn('cpu_millis', 'integer')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('provisioned_services').execute();
}
