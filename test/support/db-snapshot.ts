/**
 * A read-only snapshot of every table of a SQLite store, to prove that requests changed nothing.
 * `tokens.last_used_at` is left out: authenticating a request refreshes it by design.
 */
import BetterSqlite3 from 'better-sqlite3';

export type Snapshot = Record<string, Array<Record<string, unknown>>>;

export function snapshotSqlite(file: string): Snapshot {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>;
    const out: Snapshot = {};
    for (const { name } of tables) {
      const rows = db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all() as Array<Record<string, unknown>>;
      out[name] = name === 'tokens' ? rows.map(({ last_used_at: _ignored, ...rest }) => rest) : rows;
    }
    return out;
  } finally {
    db.close();
  }
}

/** Runs `fn` with a read-only connection to the store file. */
export function withReadonlySqlite<T>(file: string, fn: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The same snapshot of a PostgreSQL store (every table of the public schema, rows in a stable order). */
export async function snapshotPostgres(url: string): Promise<Snapshot> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name");
    const out: Snapshot = {};
    for (const { table_name: name } of tables.rows) {
      const rows = (await client.query<Record<string, unknown>>(`SELECT * FROM "${name}"`)).rows.map((r) => JSON.stringify(name === 'tokens' ? { ...r, last_used_at: undefined } : r)).sort();
      out[name] = rows.map((r) => JSON.parse(r) as Record<string, unknown>);
    }
    return out;
  } finally {
    await client.end();
  }
}
