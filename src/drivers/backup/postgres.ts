/**
 * PostgreSQL backups: `pg_dump` of the attachment's database as plain SQL, without owners or
 * privileges (everything in it belongs to the attachment's group role), and a restore through
 * `psql` in ONE transaction (`--single-transaction`, `ON_ERROR_STOP`) that first drops every
 * schema of the database and recreates `public`, then replays the dump. So the database holds
 * exactly what it held at the backup (tables made since are gone), and a dump that fails
 * midway changes nothing. The restore runs as the attachment's role (`SET ROLE`), never as the
 * admin: what the tenant's own code does during it (index expressions, defaults) runs with the
 * tenant's rights. Open transactions of the app hold the restore back at most `lock_timeout`,
 * then it fails and changes nothing.
 *
 * A dump taken of another attachment's database (a backup whose attachment is gone) loads the
 * same way: it names neither that database nor its roles (no owners, no privileges), and what
 * it creates is owned by the role that runs it, the new attachment's. A dump that does name a
 * role (e.g. a row-level security policy `TO` the old role) fails on it when that role is gone,
 * and changes nothing.
 *
 * pg_dump must be at least the server's major version (Debian's postgresql-client; the newest
 * in /usr/lib/postgresql/N/bin is preferred).
 *
 * @module
 */
import type { AdminConnection } from '../../core/services.js';
import type { ServiceBackupDriver } from '../../services/backup-driver.js';
import { assertName } from '../failure.js';
import { findTool, postgresBinDirs, runTool } from './tools.js';

function env(admin: AdminConnection, database: string): Record<string, string> {
  return { PGHOST: admin.host, PGPORT: String(admin.port), PGUSER: admin.username, PGPASSWORD: admin.password, PGDATABASE: database, PGAPPNAME: 'slipway-backup', PGCONNECT_TIMEOUT: '10', PGPASSFILE: '/dev/null', PGSERVICEFILE: '/dev/null' };
}

/** Opens the restore: as the attachment's role, drop every schema, recreate `public` as PostgreSQL 15 makes it. */
function prelude(resource: string): string {
  return [
    `SET ROLE "${resource}";`,
    "SET lock_timeout = '15s';",
    "DO $slw$DECLARE s text; BEGIN FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP EXECUTE format('DROP SCHEMA %I CASCADE', s); END LOOP; END$slw$;",
    'CREATE SCHEMA public AUTHORIZATION pg_database_owner;',
    'GRANT USAGE ON SCHEMA public TO PUBLIC;',
    "SET client_min_messages = warning;",
    '',
  ].join('\n');
}

export const postgresBackupDriver: ServiceBackupDriver = {
  kind: 'postgres',

  async backup(admin, resource, out) {
    assertName(resource, 'resource');
    const pgDump = findTool(['pg_dump'], postgresBinDirs(), 'postgresql-client');
    await runTool(admin, pgDump, ['--format=plain', '--no-owner', '--no-privileges'], env(admin, resource), { output: out, step: 'dump the database' });
  },

  async restore(admin, resource, input) {
    assertName(resource, 'resource');
    const psql = findTool(['psql'], postgresBinDirs(), 'postgresql-client');
    await runTool(admin, psql, ['--no-psqlrc', '--quiet', '--single-transaction', '--set=ON_ERROR_STOP=1', '--file=-'], env(admin, resource), { prelude: prelude(resource), input, step: 'restore the database' });
  },
};
