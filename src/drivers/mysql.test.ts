import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAdminUrl } from '../core/services.js';
import { mysqlDriver as driver } from './mysql.js';
import { canaryPassword, freshNames, thrown } from './test-support/names.js';

const admin = parseAdminUrl('mysql', 'mysql://root@127.0.0.1:3306');
const A = freshNames();
const B = freshNames();
const pwA1 = canaryPassword();
const pwA2 = canaryPassword();
const pwB1 = canaryPassword();
const opened: mysql.Connection[] = [];

async function login(user: string, password: string, database?: string): Promise<mysql.Connection> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user, password, database, connectTimeout: 5000 });
  c.on('error', () => undefined);
  opened.push(c);
  return c;
}

async function adminQuery(sql: string, values: unknown[] = []): Promise<unknown> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  try {
    return (await c.query(sql, values))[0];
  } finally {
    await c.end();
  }
}

afterAll(async () => {
  await Promise.all(opened.map((c) => c.end().catch(() => c.destroy())));
  for (const n of [A, B]) {
    for (const g of [1, 2]) await driver.revokeUser(admin, n.resource, n.user(g)).catch(() => undefined);
    await driver.dropResource(admin, n.resource).catch(() => undefined);
  }
});

describe('MySQL/MariaDB driver (the machine server)', () => {
  it('probes the version', async () => {
    expect((await driver.probe(admin)).version).toMatch(/^\d+\.\d+/);
  });

  it('gives each attachment its own database and account; rotation shares the data; revoke ends sessions; drop removes data', async () => {
    for (const n of [A, B]) {
      await driver.createResource(admin, n.resource);
      await driver.createResource(admin, n.resource);
    }
    await driver.grantUser(admin, A.resource, A.user(1), pwA1);
    await driver.grantUser(admin, A.resource, A.user(1), pwA1);
    await driver.grantUser(admin, B.resource, B.user(1), pwB1);

    const a1 = await login(A.user(1), pwA1, A.resource);
    await a1.query('CREATE TABLE notes (id int AUTO_INCREMENT PRIMARY KEY, body text NOT NULL)');
    await a1.query("INSERT INTO notes (body) VALUES ('one')");

    // A's account cannot use B's database, nor see it.
    expect((await thrown(() => login(A.user(1), pwA1, B.resource))).message).toMatch(/denied/i);
    expect((await thrown(() => a1.query(`SELECT * FROM \`${B.resource}\`.x`))).message).toMatch(/denied/i);
    const visible = ((await a1.query('SHOW DATABASES'))[0] as { Database: string }[]).map((r) => r.Database);
    expect(visible).toContain(A.resource);
    expect(visible).not.toContain(B.resource);
    // A wrong password is refused (the GRANT's escaped `_` does not match look-alike names either).
    expect((await thrown(() => login(A.user(1), 'wrong', A.resource))).message).toMatch(/denied/i);

    // Rotation: generation 2 alongside generation 1, same table.
    await driver.grantUser(admin, A.resource, A.user(2), pwA2);
    const a2 = await login(A.user(2), pwA2, A.resource);
    await a2.query("INSERT INTO notes (body) VALUES ('two')");
    await a2.query('ALTER TABLE notes ADD COLUMN tag text');
    await a1.query("INSERT INTO notes (body, tag) VALUES ('three', 'x')");
    expect(((await a2.query('SELECT body FROM notes ORDER BY id'))[0] as { body: string }[]).map((r) => r.body)).toEqual(['one', 'two', 'three']);

    // Revoke generation 1: its session is killed, a new login fails, the data stays.
    await driver.revokeUser(admin, A.resource, A.user(1));
    await driver.revokeUser(admin, A.resource, A.user(1));
    await expect(a1.query('SELECT 1')).rejects.toThrow();
    await expect(login(A.user(1), pwA1, A.resource)).rejects.toThrow(/denied/i);
    expect((await a2.query('SELECT count(*) AS n FROM notes'))[0]).toEqual([{ n: 3 }]);

    // Drop: the database is gone; twice is fine; B untouched.
    await driver.revokeUser(admin, A.resource, A.user(2));
    await driver.dropResource(admin, A.resource);
    await driver.dropResource(admin, A.resource);
    expect(await adminQuery('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [A.resource])).toEqual([]);
    expect(await adminQuery('SELECT User FROM mysql.user WHERE User LIKE ?', [`${A.resource}%`])).toEqual([]);
    const b1 = await login(B.user(1), pwB1, B.resource);
    expect((await b1.query('SELECT 1 AS one'))[0]).toEqual([{ one: 1 }]);
  });

  it('refuses names Slipway did not make', async () => {
    expect((await thrown(() => driver.createResource(admin, 'mysql'))).code).toBe('SLW_INTERNAL');
    expect((await thrown(() => driver.grantUser(admin, A.resource, 'root', 'x'))).code).toBe('SLW_INTERNAL');
    expect((await thrown(() => driver.dropResource(admin, 'slw_abc`; DROP DATABASE test; --'))).code).toBe('SLW_INTERNAL');
  });

  it('maps a wrong admin password to SLW_SERVICE_AUTH and a closed port to SLW_SERVICE_UNREACHABLE, never with the password', async () => {
    const canary = canaryPassword();
    const denied = await thrown(() => driver.probe({ ...admin, password: canary }));
    expect(denied.code).toBe('SLW_SERVICE_AUTH');
    expect(denied.message).not.toContain(canary);
    const closed = await thrown(() => driver.grantUser({ ...admin, port: 1, password: canary }, B.resource, B.user(1), canary));
    expect(closed.code).toBe('SLW_SERVICE_UNREACHABLE');
    expect(closed.message).not.toContain(canary);
  });
});
