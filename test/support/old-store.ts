/**
 * A store migrated only up to 0003, as stores were before the wave-2 migrations, for migration tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/store/schema.js';
import * as core from '../../src/store/migrations/0001-core.js';
import * as registry from '../../src/store/migrations/0002-registry.js';
import * as deploy from '../../src/store/migrations/0003-deploy.js';
import type { Engine } from './engines.js';
import { createTestDatabase } from './postgres.js';

/** A database migrated only up to 0003. */
export async function openOld(engine: Engine): Promise<{ db: Kysely<Database>; cleanup: () => Promise<void> }> {
  let db: Kysely<Database>;
  let cleanup: () => Promise<void>;
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-mig-'));
    const sqlite = new BetterSqlite3(join(dir, 'slipway.db'));
    sqlite.pragma('foreign_keys = ON');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    cleanup = async () => {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    };
  } else {
    const test = await createTestDatabase();
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: test.url, max: 2 }) }) });
    cleanup = async () => {
      await db.destroy();
      await test.drop();
    };
  }
  const old: Record<string, Migration> = { '0001-core': core, '0002-registry': registry, '0003-deploy': deploy };
  const r = await new Migrator({ db, provider: { getMigrations: async () => old } }).migrateToLatest();
  if (r.error) throw r.error;
  return { db, cleanup };
}

