/**
 * Herd sites by the deployments they wait on: a deployment's end wakes its upgrade, and a
 * deployment's health gate reads the bake its upgrade asked for. Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('herd_upgrade_sites_deployment').on('herd_upgrade_sites').column('deployment_id').execute();
  await db.schema.createIndex('herd_upgrade_sites_revert').on('herd_upgrade_sites').column('revert_deployment_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('herd_upgrade_sites_revert').execute();
  await db.schema.dropIndex('herd_upgrade_sites_deployment').execute();
}
