/**
 * MySQL/MariaDB backups: `mariadb-dump` (or `mysqldump`) of the attachment's database in one
 * consistent read (`--single-transaction`): tables with their rows, views and triggers (stored
 * routines and events are not included). A restore loads the dump into a fresh scratch
 * database `slw_x_restore` first, so a dump that fails to load changes nothing; then one
 * `RENAME TABLE` statement swaps every table of the live database out (to `slw_x_old`, dropped
 * afterwards) and every restored table in, atomically. Views and triggers cannot move between
 * databases: they are dropped before the swap and recreated from their definitions right
 * after it (a short window in which they are missing).
 *
 * A dump taken of another database (a backup whose attachment is gone, loaded into the new
 * attachment) has that database's quoted name moved to the scratch database the same way, and
 * the DEFINER of its views and triggers, one of the old attachment's users (`slw_old_N`, revoked
 * at its detach), replaced by the new attachment's current user, so they run with the new
 * attachment's rights (never the admin's). Other definers are left as they are.
 *
 * The admin password reaches the tools in MYSQL_PWD, never argv.
 *
 * @module
 */
import { Transform, type Readable } from 'node:stream';
import mysql from 'mysql2/promise';
import type { AdminConnection } from '../../core/services.js';
import type { ServiceBackupDriver } from '../../services/backup-driver.js';
import { assertName, driverTimeoutMs, internal } from '../failure.js';
import { findTool, runTool } from './tools.js';

const q = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

function connectionArgs(admin: AdminConnection): string[] {
  return [`--host=${admin.host}`, `--port=${admin.port}`, `--user=${admin.username}`, '--protocol=TCP', '--default-character-set=utf8mb4'];
}

async function withConnection<T>(admin: AdminConnection, fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  let c: mysql.Connection;
  try {
    c = await mysql.createConnection({ host: admin.host, port: admin.port, user: admin.username, password: admin.password, connectTimeout: driverTimeoutMs, multipleStatements: false });
  } catch (err) {
    throw internal(admin, 'connecting', err, []);
  }
  c.on('error', () => undefined);
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => c.destroy());
  }
}

async function query<T>(admin: AdminConnection, c: mysql.Connection, step: string, sql: string, values: unknown[] = []): Promise<T> {
  try {
    const [rows] = await c.query({ sql, values, timeout: 60_000 });
    return rows as T;
  } catch (err) {
    throw internal(admin, step, err, []);
  }
}

interface Objects {
  tables: string[];
  views: string[];
  triggers: string[];
}

async function objectsOf(admin: AdminConnection, c: mysql.Connection, db: string): Promise<Objects> {
  const tables = await query<{ name: string; type: string }[]>(admin, c, 'list the tables', 'SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [db]);
  const triggers = await query<{ name: string }[]>(admin, c, 'list the triggers', 'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY TRIGGER_NAME', [db]);
  return { tables: tables.filter((t) => t.type === 'BASE TABLE').map((t) => t.name), views: tables.filter((t) => t.type === 'VIEW').map((t) => t.name), triggers: triggers.map((t) => t.name) };
}

/** `SHOW CREATE …` of the scratch database's views and triggers, pointed at the live database. */
async function definitions(admin: AdminConnection, c: mysql.Connection, scratch: string, live: string, o: Objects): Promise<{ views: string[]; triggers: string[] }> {
  const repoint = (sql: string) => sql.split(q(scratch)).join(q(live));
  const views: string[] = [];
  for (const v of o.views) {
    const rows = await query<Record<string, string>[]>(admin, c, 'read a view', `SHOW CREATE VIEW ${q(scratch)}.${q(v)}`);
    views.push(repoint(rows[0]?.['Create View'] ?? ''));
  }
  const triggers: string[] = [];
  for (const t of o.triggers) {
    const rows = await query<Record<string, string>[]>(admin, c, 'read a trigger', `SHOW CREATE TRIGGER ${q(scratch)}.${q(t)}`);
    triggers.push(repoint(rows[0]?.['SQL Original Statement'] ?? ''));
  }
  return { views, triggers };
}

async function dropViewsAndTriggers(admin: AdminConnection, c: mysql.Connection, db: string, o: Objects): Promise<void> {
  for (const t of o.triggers) await query(admin, c, 'drop a trigger', `DROP TRIGGER IF EXISTS ${q(db)}.${q(t)}`);
  if (o.views.length > 0) await query(admin, c, 'drop the views', `DROP VIEW IF EXISTS ${o.views.map((v) => `${q(db)}.${q(v)}`).join(', ')}`);
}

/**
 * The dump, with the quoted name of the database it was taken of (`source`) in statements (a
 * trigger created as `slw_x`.`t` keeps that name in the dump) pointed at the scratch database, so
 * loading it never touches the live one; with `definer`, a DEFINER that is one of `source`'s
 * users (`source_N`) becomes `definer`. Row data (INSERT lines) is left as it is.
 */
function intoScratch(input: Readable, source: string, scratch: string, definer?: string): Readable {
  const from = q(source);
  const to = q(scratch);
  const definers = new RegExp(`DEFINER=${q(source).slice(0, -1)}_[0-9]+\`@\`[^\`]*\``, 'g');
  const owner = definer === undefined ? undefined : `DEFINER=${q(definer)}@\`%\``;
  let carry = '';
  const rewrite = (line: string) => {
    if (line.startsWith('INSERT INTO ')) return line;
    const moved = line.split(from).join(to);
    return owner === undefined ? moved : moved.replace(definers, () => owner);
  };
  const t = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const lines = (carry + chunk.toString('latin1')).split('\n');
      carry = lines.pop() ?? '';
      done(null, lines.length === 0 ? '' : Buffer.from(lines.map(rewrite).join('\n') + '\n', 'latin1'));
    },
    flush(done) {
      done(null, Buffer.from(rewrite(carry), 'latin1'));
    },
  });
  input.on('error', (err) => t.destroy(err));
  return input.pipe(t);
}

export const mysqlBackupDriver: ServiceBackupDriver = {
  kind: 'mysql',

  async backup(admin, resource, out) {
    assertName(resource, 'resource');
    const dump = findTool(['mariadb-dump', 'mysqldump'], [], 'mariadb-client');
    const args = [...connectionArgs(admin), '--single-transaction', '--skip-lock-tables', '--hex-blob', '--triggers', '--skip-routines', '--skip-events', '--no-create-db', '--skip-comments', resource];
    await runTool(admin, dump, args, { MYSQL_PWD: admin.password }, { output: out, step: 'dump the database' });
  },

  async restore(admin, resource, input, from) {
    assertName(resource, 'resource');
    if (from) {
      assertName(from.resource, 'resource');
      assertName(from.definer, 'user');
    }
    const client = findTool(['mariadb', 'mysql'], [], 'mariadb-client');
    const scratch = `${resource}_restore`;
    const old = `${resource}_old`;
    await withConnection(admin, async (c) => {
      await query(admin, c, 'drop a stale scratch database', `DROP DATABASE IF EXISTS ${q(scratch)}`);
      await query(admin, c, 'drop a stale scratch database', `DROP DATABASE IF EXISTS ${q(old)}`);
      await query(admin, c, 'create the scratch database', `CREATE DATABASE ${q(scratch)} CHARACTER SET utf8mb4`);
    });
    try {
      await runTool(admin, client, [...connectionArgs(admin), '--binary-mode', `--database=${scratch}`], { MYSQL_PWD: admin.password }, { input: intoScratch(input, from?.resource ?? resource, scratch, from?.definer), step: 'load the dump' });
      await withConnection(admin, async (c) => {
        const restored = await objectsOf(admin, c, scratch);
        const live = await objectsOf(admin, c, resource);
        const defs = await definitions(admin, c, scratch, resource, restored);
        await dropViewsAndTriggers(admin, c, scratch, restored);
        await query(admin, c, 'create the swap database', `CREATE DATABASE ${q(old)}`);
        const moves = [...live.tables.map((t) => `${q(resource)}.${q(t)} TO ${q(old)}.${q(t)}`), ...restored.tables.map((t) => `${q(scratch)}.${q(t)} TO ${q(resource)}.${q(t)}`)];
        await dropViewsAndTriggers(admin, c, resource, live);
        // One statement: every table out and in at once, or none.
        if (moves.length > 0) await query(admin, c, 'swap the tables', `RENAME TABLE ${moves.join(', ')}`);
        await query(admin, c, 'use the database', `USE ${q(resource)}`);
        // Views on views: create what can be created until nothing is left (or nothing moves).
        let pending = defs.views;
        while (pending.length > 0) {
          const failed: string[] = [];
          for (const sql of pending) await c.query(sql).catch(() => failed.push(sql));
          if (failed.length === pending.length) {
            await query(admin, c, 'recreate a view', failed[0] ?? '');
            break;
          }
          pending = failed;
        }
        for (const sql of defs.triggers) await query(admin, c, 'recreate a trigger', sql);
      });
    } finally {
      await withConnection(admin, async (c) => {
        await query(admin, c, 'drop the scratch database', `DROP DATABASE IF EXISTS ${q(scratch)}`);
        await query(admin, c, 'drop the swap database', `DROP DATABASE IF EXISTS ${q(old)}`);
      }).catch(() => undefined);
    }
  },
};
