/**
 * Opens the store on SQLite (a file, WAL) or PostgreSQL (a URL) and applies migrations.
 *
 * @module
 */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { SlipwayError } from '../core/errors.js';
import { migrationProvider } from './migrations/index.js';
import { openNotifyChannel, type ChannelListener, type ChannelOptions, type NotifyChannel } from './notify.js';
import type { Database, Db } from './schema.js';

/** Where the store lives. */
export type StoreLocation = { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string };

/** An open store. */
export interface Store {
  db: Db;
  engine: StoreLocation['engine'];
  /** A description safe to log (no password). */
  description: string;
  /**
   * Opens a notification channel between the processes of this store (PostgreSQL LISTEN/NOTIFY,
   * src/store/notify.ts); absent on SQLite, where one process owns the store. Closed with the store.
   */
  channel?(name: string, listener: ChannelListener, options?: ChannelOptions): NotifyChannel;
  close(): Promise<void>;
}

/** Opens the store and brings its schema up to date. */
export async function openStore(location: StoreLocation): Promise<Store> {
  const store = location.engine === 'sqlite' ? openSqlite(location.file) : await openPostgres(location.url);
  try {
    await migrate(store.db);
  } catch (error) {
    await store.close();
    throw new SlipwayError('SLW_STORE_UNAVAILABLE', `could not apply migrations to ${store.description}: ${(error as Error).message}`, { cause: error });
  }
  return store;
}

function openSqlite(file: string): Store {
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new BetterSqlite3(file);
  } catch (error) {
    throw new SlipwayError('SLW_STORE_UNAVAILABLE', `cannot open SQLite database ${file}: ${(error as Error).message}`, { cause: error });
  }
  // WAL lets readers run beside the writer; synchronous=FULL fsyncs every commit, so an
  // acknowledged write survives a power loss, not only a killed process.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    engine: 'sqlite',
    description: `SQLite ${file}`,
    close: () => db.destroy(),
  };
}

async function openPostgres(url: string): Promise<Store> {
  const description = `PostgreSQL ${redactUrl(url)}`;
  // int8 (bigint: blob sizes) as a JS number, as SQLite gives it; sizes stay far below 2^53.
  const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) };
  const pool = new pg.Pool({ connectionString: url, max: 10, types });
  // An idle client that loses its connection must not crash the server; the pool replaces it.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end();
    throw new SlipwayError('SLW_STORE_UNAVAILABLE', `cannot connect to ${description}: ${(error as Error).message}; check --database-url`, { cause: error });
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const channels = new Set<NotifyChannel>();
  return {
    db,
    engine: 'postgres',
    description,
    channel: (name, listener, options) => {
      const c = openNotifyChannel(url, db, name, listener, options);
      channels.add(c);
      return {
        publish: (payload) => c.publish(payload),
        listenerPid: () => c.listenerPid(),
        close: async () => {
          channels.delete(c);
          await c.close();
        },
      };
    },
    close: async () => {
      await Promise.all([...channels].map((c) => c.close()));
      channels.clear();
      await db.destroy();
    },
  };
}

async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`migration ${failed ?? '?'} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** `url` with any password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable database URL)';
  }
}
