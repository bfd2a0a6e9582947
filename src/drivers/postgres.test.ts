import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAdminUrl } from '../core/services.js';
import { postgresDriver as driver, scramVerifier } from './postgres.js';
import { canaryPassword, freshNames, thrown } from './test-support/names.js';

const admin = parseAdminUrl('postgres', 'postgres://postgres@127.0.0.1:5432/postgres');
const A = freshNames();
const B = freshNames();
const pwA1 = canaryPassword();
const pwA2 = canaryPassword();
const pwB1 = canaryPassword();
const C = freshNames();
const opened: pg.Client[] = [];

async function login(user: string, password: string, database: string): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port: 5432, user, password, database, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  opened.push(c);
  await c.connect();
  return c;
}

async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

afterAll(async () => {
  await Promise.all(opened.map((c) => c.end().catch(() => undefined)));
  const nonSuper = { ...admin, username: `${C.resource}_admin` };
  for (const g of [1, 2]) await driver.revokeUser(nonSuper, C.resource, C.user(g)).catch(() => undefined);
  await driver.dropResource(nonSuper, C.resource).catch(() => undefined);
  for (const n of [A, B, C]) {
    for (const g of [1, 2]) await driver.revokeUser(admin, n.resource, n.user(g)).catch(() => undefined);
    await driver.dropResource(admin, n.resource).catch(() => undefined);
  }
  await adminQuery(`DROP ROLE IF EXISTS "${A.resource}_weak"`).catch(() => undefined);
  await adminQuery(`DROP ROLE IF EXISTS "${C.resource}_admin"`).catch(() => undefined);
});

describe('PostgreSQL driver (the machine server)', () => {
  it('probes the version', async () => {
    const { version } = await driver.probe(admin);
    expect(version).toMatch(/^\d+/);
  });

  it('gives each attachment its own database and login; rotation shares the data; revoke ends sessions; drop removes data', async () => {
    for (const n of [A, B]) {
      await driver.createResource(admin, n.resource);
      await driver.createResource(admin, n.resource);
    }
    await driver.grantUser(admin, A.resource, A.user(1), pwA1);
    await driver.grantUser(admin, A.resource, A.user(1), pwA1);
    await driver.grantUser(admin, B.resource, B.user(1), pwB1);

    // Generation 1 writes its database.
    const a1 = await login(A.user(1), pwA1, A.resource);
    await a1.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
    await a1.query("INSERT INTO notes (body) VALUES ('one')");
    // Owned by the attachment's group role, not by generation 1.
    expect((await a1.query(`SELECT tableowner FROM pg_tables WHERE tablename = 'notes'`)).rows[0]).toEqual({ tableowner: A.resource });

    // A's user cannot connect to B's database; B's cannot connect to A's.
    const refused = await thrown(() => login(A.user(1), pwA1, B.resource));
    expect(refused.message).toMatch(/permission denied/);
    expect((await thrown(() => login(B.user(1), pwB1, A.resource))).message).toMatch(/permission denied/);

    // Rotation: generation 2 while generation 1 still runs; both read and write the same table.
    await driver.grantUser(admin, A.resource, A.user(2), pwA2);
    const a2 = await login(A.user(2), pwA2, A.resource);
    await a2.query("INSERT INTO notes (body) VALUES ('two')");
    await a2.query('ALTER TABLE notes ADD COLUMN tag text');
    await a1.query("INSERT INTO notes (body, tag) VALUES ('three', 'x')");
    expect((await a2.query('SELECT body FROM notes ORDER BY id')).rows.map((r: { body: string }) => r.body)).toEqual(['one', 'two', 'three']);

    // Revoke generation 1: its open session ends, a new login fails, the data stays.
    await driver.revokeUser(admin, A.resource, A.user(1));
    await driver.revokeUser(admin, A.resource, A.user(1));
    await expect(a1.query('SELECT 1')).rejects.toThrow();
    await expect(login(A.user(1), pwA1, A.resource)).rejects.toThrow(/does not exist/);
    expect((await a2.query('SELECT count(*)::int AS n FROM notes')).rows[0]).toEqual({ n: 3 });
    const a2again = await login(A.user(2), pwA2, A.resource);
    await a2again.query('CREATE TABLE more (x int)');
    await a2again.query('DROP TABLE more');

    // Password reset of an existing generation is fine (idempotent grant).
    await driver.grantUser(admin, A.resource, A.user(2), pwA2);

    // Drop: the database and its group role are gone; twice is fine.
    await driver.revokeUser(admin, A.resource, A.user(2));
    await driver.dropResource(admin, A.resource);
    await driver.dropResource(admin, A.resource);
    expect((await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [A.resource])).rows).toHaveLength(0);
    expect((await adminQuery('SELECT 1 FROM pg_roles WHERE rolname LIKE $1', [`${A.resource}%`])).rows).toHaveLength(0);

    // B is untouched.
    const b1 = await login(B.user(1), pwB1, B.resource);
    expect((await b1.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
  });

  it('works with an admin that is not a superuser (CREATEDB CREATEROLE, as on managed databases)', async () => {
    const managed = { ...admin, username: `${C.resource}_admin` };
    await adminQuery(`CREATE ROLE "${managed.username}" LOGIN CREATEDB CREATEROLE`);
    await driver.probe(managed);
    await driver.createResource(managed, C.resource);
    await driver.grantUser(managed, C.resource, C.user(1), pwA1);
    const c1 = await login(C.user(1), pwA1, C.resource);
    await c1.query('CREATE TABLE t (x int)');
    await driver.grantUser(managed, C.resource, C.user(2), pwA2);
    const c2 = await login(C.user(2), pwA2, C.resource);
    await c2.query('INSERT INTO t VALUES (1)');
    await driver.revokeUser(managed, C.resource, C.user(1));
    await expect(c1.query('SELECT 1')).rejects.toThrow();
    expect((await c2.query('SELECT count(*)::int AS n FROM t')).rows[0]).toEqual({ n: 1 });
    await driver.dropResource(managed, C.resource);
    await expect(c2.query('SELECT 1')).rejects.toThrow();
    await driver.revokeUser(managed, C.resource, C.user(2));
    expect((await adminQuery('SELECT 1 FROM pg_roles WHERE rolname LIKE $1', [`${C.resource}%`])).rows).toEqual([{ '?column?': 1 }]);
  });

  it('refuses names Slipway did not make', async () => {
    expect((await thrown(() => driver.createResource(admin, 'postgres'))).code).toBe('SLW_INTERNAL');
    expect((await thrown(() => driver.grantUser(admin, A.resource, B.user(1), 'x'))).code).toBe('SLW_INTERNAL');
    expect((await thrown(() => driver.revokeUser(admin, A.resource, 'postgres'))).code).toBe('SLW_INTERNAL');
    expect((await thrown(() => driver.dropResource(admin, `${A.resource}"; DROP DATABASE x; --`))).code).toBe('SLW_INTERNAL');
  });

  it('maps a refused login to SLW_SERVICE_AUTH and a closed port to SLW_SERVICE_UNREACHABLE, never with the password', async () => {
    const canary = canaryPassword();
    const noUser = await thrown(() => driver.probe({ ...admin, username: 'slw_no_such_admin', password: canary }));
    expect(noUser.code).toBe('SLW_SERVICE_AUTH');
    expect(noUser.message).not.toContain(canary);

    const weak = `${A.resource}_weak`;
    await adminQuery(`CREATE ROLE "${weak}" LOGIN`);
    const lacking = await thrown(() => driver.probe({ ...admin, username: weak, password: canary }));
    expect(lacking.code).toBe('SLW_SERVICE_AUTH');
    expect(lacking.message).toMatch(/CREATEDB/);

    const closed = await thrown(() => driver.createResource({ ...admin, port: 1, password: canary }, B.resource));
    expect(closed.code).toBe('SLW_SERVICE_UNREACHABLE');
    expect(closed.message).not.toContain(canary);
    expect(closed.message).toContain('127.0.0.1:1');
  });

  it('computes the SCRAM-SHA-256 verifier PostgreSQL would store', async () => {
    const salt = Buffer.from('0123456789abcdef');
    const mine = scramVerifier('pencil', salt);
    expect(mine).toMatch(/^SCRAM-SHA-256\$4096:MDEyMzQ1Njc4OWFiY2RlZg==\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    expect(mine).not.toContain('pencil');
  });
});
