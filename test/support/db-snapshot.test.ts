/**
 * The PostgreSQL snapshot the fuzz test trusts to prove a refused request stored nothing: on a
 * real migrated store, it sees a changed value, a new row and a deleted row in any table, and
 * ignores only `tokens.last_used_at`.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/open.js';
import { bootstrapFirstAdmin } from '../../src/tenancy/bootstrap.js';
import { postgresSnapshots, type PostgresSnapshots } from './db-snapshot.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

describe('postgresSnapshots', () => {
  let db: TestDatabase;
  let store: Store;
  let client: pg.Client;
  let snapshots: PostgresSnapshots;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openStore({ engine: 'postgres', url: db.url });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await bootstrapFirstAdmin(store.db); // a user and their token
    snapshots = await postgresSnapshots(db.url);
  });
  afterAll(async () => {
    await snapshots?.close();
    await client?.end();
    await store?.close();
    await db?.drop();
  });

  const changed = async (change: () => Promise<unknown>) => {
    const before = await snapshots.snapshot();
    await change();
    const after = await snapshots.snapshot();
    return Object.keys(after).filter((t) => JSON.stringify(before[t]) !== JSON.stringify(after[t]));
  };

  it('names the table a row was added to, changed in or deleted from; nothing else', async () => {
    const tables = Object.keys(await snapshots.snapshot());
    expect(tables).toEqual(expect.arrayContaining(['workspaces', 'tokens', 'releases']));
    const now = new Date().toISOString();
    expect(await changed(() => client.query(`INSERT INTO workspaces (id, name, tier, created_at, updated_at) VALUES ('ws_1', 'acme', 'high', $1, $1)`, [now]))).toEqual(['workspaces']);
    expect(await changed(() => client.query(`UPDATE workspaces SET tier = 'low' WHERE id = 'ws_1'`))).toEqual(['workspaces']);
    expect(await changed(() => client.query(`DELETE FROM workspaces WHERE id = 'ws_1'`))).toEqual(['workspaces']);
    expect(await changed(async () => undefined)).toEqual([]);
  });

  it('ignores a token being used (last_used_at), not any other change of it', async () => {
    const token = (await client.query<{ id: string }>('SELECT id FROM tokens LIMIT 1')).rows[0];
    expect(token).toBeDefined();
    expect(await changed(() => client.query('UPDATE tokens SET last_used_at = $1 WHERE id = $2', [new Date().toISOString(), token!.id]))).toEqual([]);
    expect(await changed(() => client.query(`UPDATE tokens SET name = name || '!' WHERE id = $1`, [token!.id]))).toEqual(['tokens']);
  });
});
