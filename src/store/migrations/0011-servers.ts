/**
 * Servers joined by agents: one row per server (its agent's identity, state and last report) and
 * its single-use join tokens (only a hash of each secret is kept), and what each server should run
 * (workloads, jobs, edge routes: sealed, since workload specs hold secret values).
 * Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('servers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('workspace_id', 'text')
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('enrolled_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('agent_version', 'text')
    .addColumn('hostname', 'text')
    .addColumn('advertise_address', 'text')
    .addColumn('cert_serial', 'text')
    .addColumn('cert_not_after', 'text')
    .addColumn('last_heartbeat_at', 'text')
    .addColumn('metrics', 'text')
    .execute();
  await db.schema
    .createTable('server_join_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('server_id', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('server_join_tokens_server').on('server_join_tokens').column('server_id').execute();
  await db.schema
    .createTable('server_desired')
    .addColumn('server_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('removed', 'integer', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('server_desired_pk', ['server_id', 'kind', 'name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('server_desired').execute();
  await db.schema.dropTable('server_join_tokens').execute();
  await db.schema.dropTable('servers').execute();
}
