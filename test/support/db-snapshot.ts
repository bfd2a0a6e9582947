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

/** Snapshots of one PostgreSQL store over one connection; `close()` ends it. */
export interface PostgresSnapshots {
  snapshot(): Promise<Snapshot>;
  close(): Promise<void>;
}

/**
 * The same snapshot of a PostgreSQL store (every table of the public schema, rows in a stable
 * order), in one query per snapshot over a connection kept open: the fuzz test takes one after
 * every refused request (thousands), where a connection and a query per table each time took
 * minutes.
 */
export async function postgresSnapshots(url: string): Promise<PostgresSnapshots> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let query: string | undefined;
  return {
    async snapshot() {
      if (query === undefined) {
        // The tables, once: migrations ran before the server answered.
        const tables = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name");
        query = tables.rows
          .map(({ table_name: name }, i) => {
            const row = name === 'tokens' ? `to_jsonb(r) - 'last_used_at'` : 'to_jsonb(r)';
            return `SELECT ${i} AS i, ${client.escapeLiteral(name)} AS name, coalesce((SELECT jsonb_agg(x ORDER BY x::text) FROM (SELECT ${row} AS x FROM ${client.escapeIdentifier(name)} r) s), '[]'::jsonb) AS rows`;
          })
          .join('\nUNION ALL\n');
      }
      if (query === '') return {};
      // Prepared once (named): planning the union of every table is most of its cost.
      const result = await client.query<{ i: number; name: string; rows: Array<Record<string, unknown>> }>({ name: 'slipway-snapshot', text: `${query}\nORDER BY i` });
      return Object.fromEntries(result.rows.map((r) => [r.name, r.rows]));
    },
    close: () => client.end(),
  };
}

/** One snapshot of a PostgreSQL store (see {@link postgresSnapshots}). */
export async function snapshotPostgres(url: string): Promise<Snapshot> {
  const snapshots = await postgresSnapshots(url);
  try {
    return await snapshots.snapshot();
  } finally {
    await snapshots.close();
  }
}
