/**
 * The deploy engine for fleets: a deployment stores its rollout's phase and what it waits for
 * (short, level-based reconciles), a fencing token, its kind (a new release, or scaling the one
 * that runs) and the target it was placed on; at most one deployment per environment is queued
 * or running (a unique partial index, not a read-then-write); each environment's last observed
 * state (replicas, readiness) is stored, so status pages read the store only.
 * Never edit a released migration; add a new one.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deployments').addColumn('kind', 'text', (c) => c.notNull().defaultTo('release')).execute();
  await db.schema.alterTable('deployments').addColumn('fence', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('deployments').addColumn('state', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  await db.schema.alterTable('deployments').addColumn('phase_started_at', 'text').execute();
  await db.schema.alterTable('deployments').addColumn('target', 'text', (c) => c.notNull().defaultTo('local')).execute();
  await db.schema.alterTable('deployments').addColumn('superseded_by', 'text').execute();
  // Deployments left unfinished by an older server could break the index below: end all but the newest per environment.
  await sql`update deployments set status = 'failed', phase = 'failed', error = 'ended by the upgrade to the fleet engine'
    where status in ('queued', 'running')
    and id not in (select max(id) from deployments where status in ('queued', 'running') group by environment_id)`.execute(db);
  await sql`create unique index deployments_one_active on deployments (environment_id) where status in ('queued', 'running')`.execute(db);
  await db.schema.createIndex('deployments_owner').on('deployments').columns(['owner', 'status']).execute();
  await db.schema.createIndex('releases_current').on('releases').columns(['environment_id', 'status', 'number']).execute();
  // Approval requests cover direct deploys and rollbacks too; a request's final status is stored when its deploy ends.
  await db.schema.alterTable('promotions').addColumn('kind', 'text', (c) => c.notNull().defaultTo('promotion')).execute();
  await sql`update promotions set status = (select d.status from deployments d where d.id = promotions.deployment_id)
    where status = 'deploying' and exists (select 1 from deployments d where d.id = promotions.deployment_id and d.status in ('succeeded', 'failed'))`.execute(db);
  await db.schema.createIndex('promotions_project').on('promotions').columns(['project_id', 'created_at']).execute();

  await db.schema
    .createTable('environment_observed')
    .addColumn('environment_id', 'text', (c) => c.primaryKey().references('environments.id'))
    .addColumn('release_number', 'integer')
    .addColumn('desired', 'integer', (c) => c.notNull())
    .addColumn('running', 'integer', (c) => c.notNull())
    .addColumn('ready', 'integer', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('observed_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('environment_observed').execute();
  await db.schema.dropIndex('promotions_project').execute();
  await db.schema.alterTable('promotions').dropColumn('kind').execute();
  await db.schema.dropIndex('releases_current').execute();
  await db.schema.dropIndex('deployments_owner').execute();
  await db.schema.dropIndex('deployments_one_active').execute();
  for (const column of ['superseded_by', 'target', 'phase_started_at', 'state', 'fence', 'kind']) await db.schema.alterTable('deployments').dropColumn(column).execute();
}
