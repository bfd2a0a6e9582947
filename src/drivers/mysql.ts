/**
 * MySQL/MariaDB driver (`mysql2/promise`). One attachment = one database `slw_x`; each credential
 * generation is an account `'slw_x_<n>'@'%'` (`%`: containers connect from bridge addresses, which
 * a `localhost` account would not match) with ALL PRIVILEGES on that database alone. Tables
 * belong to the database, not to an account, so generations share them during a rotation.
 *
 * `_` in a GRANT's database name is a wildcard (`slw_x` would also match `slwAx`), hence the
 * escaped `slw\_x` there. DROP USER does not end open sessions: revoke KILLs them afterwards.
 * Values (user, host, password) go through the client's escaping (`?`), never concatenated.
 *
 * @module
 */
import mysql from 'mysql2/promise';
import type { AdminConnection } from '../core/services.js';
import type { ServiceDriver } from '../services/driver.js';
import { assertName, assertUserOf, authFailed, driverTimeoutMs, errorCodes, internal, isNetworkFailure, unreachable } from './failure.js';

/** MySQL error numbers meaning the admin account lacks a right Slipway needs. */
const privilegeErrors = new Set(['1044', '1095', '1142', '1227', '1410', 'ER_KILL_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_TABLEACCESS_DENIED_ERROR', 'ER_SPECIFIC_ACCESS_DENIED_ERROR', 'ER_CANT_CREATE_USER_WITH_GRANT']);

const q = (name: string): string => `\`${name}\``;
/** A database name in GRANT, with `_` escaped (else a wildcard). */
const grantDb = (name: string): string => `\`${name.replace(/_/g, '\\_')}\``;

async function withConnection<T>(admin: AdminConnection, fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  let c: mysql.Connection;
  try {
    c = await mysql.createConnection({ host: admin.host, port: admin.port, user: admin.username, password: admin.password, connectTimeout: driverTimeoutMs, multipleStatements: false });
  } catch (err) {
    if (isNetworkFailure(err)) throw unreachable(admin, errorCodes(err)[0] ?? 'timeout');
    const codes = errorCodes(err);
    if (codes.includes('ER_ACCESS_DENIED_ERROR') || codes.includes('1045')) throw authFailed(admin, 'refused the admin credentials (access denied); check the user and password of the admin URL and that the account may connect from this host');
    throw internal(admin, 'connecting', err, []);
  }
  c.on('error', () => undefined);
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => c.destroy());
  }
}

/** Runs one statement; `secret` statements never show the server's message (it may quote them). */
async function run(admin: AdminConnection, c: mysql.Connection, step: string, sql: string, values: unknown[] = [], secret = false, tolerate: readonly string[] = []): Promise<unknown> {
  try {
    const [rows] = await c.query({ sql, values, timeout: 30_000 });
    return rows;
  } catch (err) {
    const codes = errorCodes(err);
    if (codes.some((code) => tolerate.includes(code))) return [];
    if (codes.some((code) => privilegeErrors.has(code))) throw authFailed(admin, `refused to let the admin account ${step} (access denied); it needs CREATE, DROP, CREATE USER, PROCESS, CONNECTION ADMIN (or SUPER) and GRANT OPTION`);
    if (isNetworkFailure(err)) throw unreachable(admin, `connection lost while trying to ${step}`);
    throw secret ? internal(admin, step, new Error(`server error ${codes.join(' ')}`), []) : internal(admin, step, err, []);
  }
}

export const mysqlDriver: ServiceDriver = {
  kind: 'mysql',

  async probe(admin) {
    return withConnection(admin, async (c) => {
      const rows = (await run(admin, c, 'read its version', 'SELECT VERSION() AS version')) as { version: string }[];
      return { version: rows[0]?.version ?? 'unknown' };
    });
  },

  async createResource(admin, resource) {
    assertName(resource, 'resource');
    await withConnection(admin, async (c) => {
      await run(admin, c, 'create a database', `CREATE DATABASE IF NOT EXISTS ${q(resource)} CHARACTER SET utf8mb4`);
    });
  },

  async grantUser(admin, resource, user, password) {
    assertUserOf(resource, user);
    await withConnection(admin, async (c) => {
      await run(admin, c, 'create an account', 'CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user, '%', password], true);
      await run(admin, c, 'set an account password', 'ALTER USER ?@? IDENTIFIED BY ? ACCOUNT UNLOCK', [user, '%', password], true);
      await run(admin, c, 'grant the database', `GRANT ALL PRIVILEGES ON ${grantDb(resource)}.* TO ?@?`, [user, '%']);
    });
  },

  async revokeUser(admin, resource, user) {
    assertUserOf(resource, user);
    await withConnection(admin, async (c) => {
      // Drop first (no new logins), then end what is still connected.
      await run(admin, c, 'drop an account', 'DROP USER IF EXISTS ?@?', [user, '%']);
      const sessions = (await run(admin, c, 'list the sessions', 'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()', [user])) as { id: number }[];
      // 1094: the session ended by itself meanwhile.
      for (const { id } of sessions) await run(admin, c, 'end a session', 'KILL CONNECTION ?', [Number(id)], false, ['1094', 'ER_NO_SUCH_THREAD']);
    });
  },

  async dropResource(admin, resource) {
    assertName(resource, 'resource');
    await withConnection(admin, async (c) => {
      await run(admin, c, 'drop a database', `DROP DATABASE IF EXISTS ${q(resource)}`);
    });
  },
};
