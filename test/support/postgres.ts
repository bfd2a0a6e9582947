/**
 * A PostgreSQL database of its own for a test file: created on the machine's server
 * (127.0.0.1:5432, trust auth) with a random name, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests use; override with SLIPWAY_TEST_PG_ADMIN_URL. */
export const pgAdminUrl = process.env.SLIPWAY_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A created test database. */
export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates an empty database named `slipway_test_<random>`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `slipway_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(pgAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: pgAdminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * What an adopted PostgreSQL service made through `adminRole` (a role made for one test): each
 * attachment is a database owned by a group role the admin joined to give it the database, and
 * login roles that are members of that group.
 */
export async function adoptedDatabases(c: pg.Client, adminRole: string): Promise<string[]> {
  const r = await c.query<{ datname: string }>(
    "select d.datname from pg_database d where d.datname like 'slw\\_%' and (d.datdba = (select oid from pg_roles where rolname = $1) or exists (select 1 from pg_auth_members m where m.roleid = d.datdba and m.member = (select oid from pg_roles where rolname = $1)))",
    [adminRole],
  );
  return r.rows.map((row) => row.datname);
}

/** Drops the attachments' databases and roles `adminRole` made, then `adminRole` itself (a test's clean-up; errors left to the caller). */
export async function dropAdoptedAdmin(c: pg.Client, adminRole: string): Promise<void> {
  for (const name of await adoptedDatabases(c, adminRole)) await c.query(`drop database if exists "${name}" with (force)`);
  const groups = (await c.query<{ rolname: string }>("select r.rolname from pg_roles r join pg_auth_members m on m.roleid = r.oid where m.member = (select oid from pg_roles where rolname = $1) and r.rolname like 'slw\\_%'", [adminRole])).rows.map((r) => r.rolname);
  for (const group of groups) {
    const logins = (await c.query<{ rolname: string }>("select r.rolname from pg_roles r join pg_auth_members m on m.member = r.oid where m.roleid = (select oid from pg_roles where rolname = $1) and r.rolname like 'slw\\_%'", [group])).rows.map((r) => r.rolname);
    for (const role of [...logins, group]) {
      await c.query(`drop owned by "${role}"`).catch(() => undefined);
      await c.query(`drop role if exists "${role}"`).catch(() => undefined);
    }
  }
  await c.query(`drop owned by "${adminRole}"`).catch(() => undefined);
  await c.query(`drop role if exists "${adminRole}"`);
}
