/**
 * Runs a store-backed test suite on both engines: embedded SQLite in a temp dir, and a fresh
 * PostgreSQL database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/open.js';
import { createTestDatabase } from './postgres.js';

/** The engines every store test runs on. */
export const engines = ['sqlite', 'postgres'] as const;
export type Engine = (typeof engines)[number];

/** Opens a migrated, empty store on `engine`; `cleanup` closes and removes it. */
export async function openTestStore(engine: Engine): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-store-'));
    const store = await openStore({ engine: 'sqlite', file: join(dir, 'slipway.db') });
    return {
      store,
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const db = await createTestDatabase();
  const store = await openStore({ engine: 'postgres', url: db.url });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
}
