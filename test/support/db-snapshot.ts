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
