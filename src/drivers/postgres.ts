/**
 * PostgreSQL driver (the `pg` package). One attachment = one database `slw_x` owned by a group
 * role `slw_x` (NOLOGIN); each credential generation is a login role `slw_x_<n>`, member of the
 * group, whose sessions in that database start as the group (`ALTER ROLE … IN DATABASE … SET
 * role`). So every table, sequence or type an app creates belongs to the group, and generation 2
 * reads, writes and migrates what generation 1 made while both run during a rotation; revoking
 * generation 1 then loses nothing (what it still owns, e.g. after an explicit `SET ROLE NONE`,
 * is reassigned to the group before its role is dropped).
 *
 * Since PostgreSQL 15 the `public` schema belongs to `pg_database_owner`, i.e. the group; new
 * databases grant CONNECT and TEMPORARY to PUBLIC, which is revoked so no other role (another
 * attachment's) can connect. Passwords are sent as SCRAM-SHA-256 verifiers computed here, so the
 * plain password reaches neither the server's statement log nor pg_stat_activity.
 *
 * @module
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';
import type { AdminConnection } from '../core/services.js';
import type { ServiceDriver } from '../services/driver.js';
import { assertName, assertUserOf, authFailed, driverTimeoutMs, errorCodes, internal, isNetworkFailure, unreachable } from './failure.js';

/** A SCRAM-SHA-256 verifier of `password`, as PostgreSQL stores it (`CREATE ROLE … PASSWORD 'SCRAM-SHA-256$…'`). */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Identifiers are Slipway's own names (checked by the callers), so quoting cannot be escaped. */
const q = (name: string): string => `"${name}"`;

function mapConnectError(admin: AdminConnection, err: unknown): Error {
  if (isNetworkFailure(err)) return unreachable(admin, errorCodes(err)[0] ?? 'timeout');
  const code = errorCodes(err)[0];
  if (code === '28P01' || code === '28000') return authFailed(admin, `refused the admin credentials (SQLSTATE ${code}); check the user and password of the admin URL and pg_hba.conf`);
  if (code === '3D000') return authFailed(admin, `has no database named in the admin URL (SQLSTATE 3D000); check the admin URL's database (default postgres)`);
  if (code === '42501') return authFailed(admin, `refused the admin user (SQLSTATE 42501: insufficient privilege); it needs CREATEDB and CREATEROLE`);
  return internal(admin, 'connecting', err, []);
}

async function withClient<T>(admin: AdminConnection, database: string | null, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: admin.host,
    port: admin.port,
    user: admin.username,
    password: admin.password,
    database: database ?? admin.database ?? 'postgres',
    connectionTimeoutMillis: driverTimeoutMs,
    statement_timeout: 30_000,
    application_name: 'slipway',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw mapConnectError(admin, err);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs one statement; failures become SLW_SERVICE_AUTH (privilege) or SLW_INTERNAL without the SQL text. */
async function run(admin: AdminConnection, c: pg.Client, step: string, sql: string, params: unknown[] = [], tolerate: readonly string[] = []): Promise<pg.QueryResult> {
  try {
    return await c.query(sql, params);
  } catch (err) {
    const code = errorCodes(err)[0] ?? '';
    if (tolerate.includes(code)) return { rows: [], rowCount: 0, command: '', oid: 0, fields: [] };
    if (code === '42501') throw authFailed(admin, `refused to let the admin user ${step} (SQLSTATE 42501); it needs CREATEDB and CREATEROLE (or superuser)`);
    if (isNetworkFailure(err)) throw unreachable(admin, `connection lost while trying to ${step}`);
    throw internal(admin, step, err, []);
  }
}

async function roleExists(admin: AdminConnection, c: pg.Client, role: string): Promise<boolean> {
  const r = await run(admin, c, 'look up a role', 'SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  return r.rows.length > 0;
}

async function databaseExists(admin: AdminConnection, c: pg.Client, database: string): Promise<boolean> {
  const r = await run(admin, c, 'look up a database', 'SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  return r.rows.length > 0;
}

async function isSuperuser(admin: AdminConnection, c: pg.Client): Promise<boolean> {
  const r = await run(admin, c, 'read its own role', 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
  return (r.rows[0] as { rolsuper?: boolean } | undefined)?.rolsuper === true;
}

/** The password as PostgreSQL receives it: a SCRAM verifier, or (non-ASCII) a quoted literal. */
function passwordLiteral(c: pg.Client, password: string): string {
  return /^[\x20-\x7e]+$/.test(password) ? c.escapeLiteral(scramVerifier(password)) : c.escapeLiteral(password);
}

export const postgresDriver: ServiceDriver = {
  kind: 'postgres',

  async probe(admin) {
    return withClient(admin, null, async (c) => {
      const r = await run(admin, c, 'read its version and rights', 'SELECT current_setting($1) AS version, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user', ['server_version']);
      const row = r.rows[0] as { version: string; rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean } | undefined;
      if (row === undefined) throw internal(admin, 'reading its version', new Error('no row'), []);
      if (!row.rolsuper && !(row.rolcreatedb && row.rolcreaterole)) throw authFailed(admin, 'accepted the admin user but it lacks CREATEDB and CREATEROLE; give it both (ALTER ROLE … CREATEDB CREATEROLE) or use a superuser');
      return { version: row.version };
    });
  },

  async createResource(admin, resource) {
    assertName(resource, 'resource');
    await withClient(admin, null, async (c) => {
      if (!(await roleExists(admin, c, resource))) await run(admin, c, 'create a role', `CREATE ROLE ${q(resource)} NOLOGIN`, [], ['42710']);
      // A non-superuser admin must be a member of the group to give it a database and, later, to
      // reassign objects to it (it has ADMIN on roles it created, PostgreSQL 16+, or CREATEROLE, 15).
      if (!(await isSuperuser(admin, c))) await run(admin, c, 'join the attachment role', `GRANT ${q(resource)} TO CURRENT_USER`);
      if (!(await databaseExists(admin, c, resource))) await run(admin, c, 'create a database', `CREATE DATABASE ${q(resource)} OWNER ${q(resource)}`, [], ['42P04']);
      await run(admin, c, 'set the database owner', `ALTER DATABASE ${q(resource)} OWNER TO ${q(resource)}`);
      await run(admin, c, 'revoke the database from PUBLIC', `REVOKE ALL ON DATABASE ${q(resource)} FROM PUBLIC`);
    });
  },

  async grantUser(admin, resource, user, password) {
    assertUserOf(resource, user);
    await withClient(admin, null, async (c) => {
      if (!(await databaseExists(admin, c, resource)) || !(await roleExists(admin, c, resource))) {
        throw internal(admin, `grant ${user}`, new Error(`the database ${resource} or its role does not exist (create the resource first)`), []);
      }
      const secret = passwordLiteral(c, password);
      const created = (await roleExists(admin, c, user)) ? false : (await run(admin, c, 'create a login role', `CREATE ROLE ${q(user)} LOGIN INHERIT PASSWORD ${secret}`, [], ['42710'])).command === 'CREATE';
      if (!created) await run(admin, c, 'set a role password', `ALTER ROLE ${q(user)} WITH LOGIN INHERIT PASSWORD ${secret}`);
      await run(admin, c, 'grant the attachment role', `GRANT ${q(resource)} TO ${q(user)}`);
      // A non-superuser admin needs the user's privileges to end its sessions and reassign what it owns.
      if (!(await isSuperuser(admin, c))) await run(admin, c, 'join the generation role', `GRANT ${q(user)} TO CURRENT_USER`);
      await run(admin, c, 'set the session role', `ALTER ROLE ${q(user)} IN DATABASE ${q(resource)} SET role = ${c.escapeLiteral(resource)}`);
    });
  },

  async revokeUser(admin, resource, user) {
    assertUserOf(resource, user);
    await withClient(admin, null, async (c) => {
      if (!(await roleExists(admin, c, user))) return;
      if (!(await isSuperuser(admin, c))) await run(admin, c, 'join the generation role', `GRANT ${q(user)} TO CURRENT_USER`);
      await run(admin, c, 'stop new logins', `ALTER ROLE ${q(user)} NOLOGIN`);
      await run(admin, c, 'end the sessions', 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()', [user]);
      if ((await databaseExists(admin, c, resource)) && (await roleExists(admin, c, resource))) {
        await withClient(admin, resource, async (inDb) => {
          await run(admin, inDb, 'reassign what the user owns', `REASSIGN OWNED BY ${q(user)} TO ${q(resource)}`);
          await run(admin, inDb, 'drop what the user still holds', `DROP OWNED BY ${q(user)}`);
        });
      }
      // Grants on shared objects and anything in the admin database (never expected).
      await run(admin, c, 'drop what the user holds', `DROP OWNED BY ${q(user)}`);
      await run(admin, c, 'drop the role', `DROP ROLE IF EXISTS ${q(user)}`);
    });
  },

  async dropResource(admin, resource) {
    assertName(resource, 'resource');
    await withClient(admin, null, async (c) => {
      await run(admin, c, 'drop the database', `DROP DATABASE IF EXISTS ${q(resource)} WITH (FORCE)`);
      if (await roleExists(admin, c, resource)) {
        await run(admin, c, 'drop what the attachment role holds', `DROP OWNED BY ${q(resource)}`);
        await run(admin, c, 'drop the attachment role', `DROP ROLE IF EXISTS ${q(resource)}`);
      }
    });
  },
};
