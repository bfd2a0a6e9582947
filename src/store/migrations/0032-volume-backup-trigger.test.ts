/** Migration 0032 on both engines: volume backups stored before it were all made by hand, and say so. */
import { Migrator, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { engines } from '../../../test/support/engines.js';
import { openOld } from '../../../test/support/old-store.js';
import type { Database, VolumeBackupsTable } from '../schema.js';
import { migrationProvider } from './index.js';

/** The store as it was at 0031: volume backups had no `trigger` yet. */
type Before0032 = Omit<Database, 'volume_backups'> & { volume_backups: Omit<VolumeBackupsTable, 'trigger'> };

const at = '2026-12-01T00:00:00.000Z';

describe.each(engines)('migration 0032 on %s', (engine) => {
  it('marks the volume backups stored before it manual; new ones say what made them', async () => {
    const { db: current, cleanup } = await openOld(engine);
    const db = current as unknown as Kysely<Before0032>;
    try {
      const migrator = new Migrator({ db, provider: migrationProvider });
      expect((await migrator.migrateTo('0031-volume-backups')).error).toBeUndefined();
      const row = { id: 'vbk_old', workspace_id: 'ws_1', environment_id: 'env_1', volume: 'data', generation: 0, size: 10, sha256: 'a'.repeat(64), release_number: 1, created_at: at, created_by: null, file: 'vbk_old.tar' };
      await db.insertInto('volume_backups').values(row).execute();
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await current.selectFrom('volume_backups').select(['id', 'trigger']).execute()).toEqual([{ id: 'vbk_old', trigger: 'manual' }]);
      await current.insertInto('volume_backups').values({ ...row, id: 'vbk_new', file: 'vbk_new.tar', trigger: 'upgrade' }).execute();
      expect(await current.selectFrom('volume_backups').select(['id', 'trigger']).orderBy('id').execute()).toEqual([
        { id: 'vbk_new', trigger: 'upgrade' },
        { id: 'vbk_old', trigger: 'manual' },
      ]);
    } finally {
      await cleanup();
    }
  });
});
