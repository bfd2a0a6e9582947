/** Migration 0033 on both engines: volume backup schedules, at most one per volume of an environment. */
import { Migrator } from 'kysely';
import { describe, expect, it } from 'vitest';
import { engines } from '../../../test/support/engines.js';
import { openOld } from '../../../test/support/old-store.js';
import type { VolumeBackupSchedulesTable } from '../schema.js';
import { migrationProvider } from './index.js';

const at = '2026-12-01T00:00:00.000Z';
const row = (id: string, volume: string): VolumeBackupSchedulesTable => ({ id, workspace_id: 'ws_1', environment_id: 'env_1', volume, cron: '0 3 * * *', keep: null, next_at: at, last_slot: null, last_status: null, last_owner: null, last_started_at: null, last_finished_at: null, last_backup_id: null, last_error: null, created_at: at, created_by: null, updated_at: at });

describe.each(engines)('migration 0033 on %s', (engine) => {
  it('adds volume backup schedules, one per volume of an environment', async () => {
    const { db, cleanup } = await openOld(engine);
    try {
      const migrator = new Migrator({ db, provider: migrationProvider });
      expect((await migrator.migrateTo('0032-volume-backup-trigger')).error).toBeUndefined();
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      await db.insertInto('volume_backup_schedules').values(row('vbs_1', 'data')).execute();
      await db.insertInto('volume_backup_schedules').values(row('vbs_2', 'logs')).execute();
      await expect(db.insertInto('volume_backup_schedules').values(row('vbs_3', 'data')).execute()).rejects.toThrow();
      expect((await db.selectFrom('volume_backup_schedules').select(['id', 'volume']).orderBy('id').execute())).toEqual([{ id: 'vbs_1', volume: 'data' }, { id: 'vbs_2', volume: 'logs' }]);
    } finally {
      await cleanup();
    }
  });
});
