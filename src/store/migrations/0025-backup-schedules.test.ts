/**
 * Migration 0025 on both engines: backups stored before it say what made them — `upgrade` where
 * a service upgrade or a herd upgrade's site recorded them, `manual` otherwise — and the new
 * schedules table goes with its attachment.
 */
import { Migrator, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { engines } from '../../../test/support/engines.js';
import { openOld } from '../../../test/support/old-store.js';
import type { Database, ServiceBackupsTable } from '../schema.js';
import { migrationProvider } from './index.js';

/** The store as it was at 0022: backups had no `trigger` yet. */
type Before0025 = Omit<Database, 'service_backups'> & { service_backups: Omit<ServiceBackupsTable, 'trigger'> };

const at = '2025-01-01T00:00:00.000Z';

describe.each(engines)('migration 0025 on %s', (engine) => {
  it('marks the backups upgrades recorded as upgrade, the others as manual; a schedule goes with its attachment', async () => {
    const { db: current, cleanup } = await openOld(engine);
    // The same connection, typed as the store was then.
    const db = current as unknown as Kysely<Before0025>;
    try {
      const migrator = new Migrator({ db, provider: migrationProvider });
      expect((await migrator.migrateTo('0022-logs-pruned')).error).toBeUndefined();
      await db.insertInto('workspaces').values({ id: 'ws_1', name: 'acme', tier: 'high', created_at: at, updated_at: at }).execute();
      await db.insertInto('projects').values({ id: 'prj_1', workspace_id: 'ws_1', name: 'shop', config_version: 0, created_at: at }).execute();
      await db.insertInto('environments').values({ id: 'env_prod', project_id: 'prj_1', name: 'prod', kind: 'standard', created_at: at }).execute();
      await db.insertInto('services').values({ id: 'svc_1', workspace_id: 'ws_1', name: 'data', kind: 'postgres', mode: 'provisioned', host: '127.0.0.1', port: 5432, workload_host: '127.0.0.1', workload_port: 5432, admin_envelope: '{}', server_version: null, created_at: at, created_by: null }).execute();
      await db.insertInto('service_attachments').values({ id: 'att_1', workspace_id: 'ws_1', service_id: 'svc_1', project_id: 'prj_1', environment_id: 'env_prod', prefix: '', resource: 'slw_1', state: 'attached', drop_data: 0, generation: 1, created_at: at, created_by: null }).execute();
      const backup = (id: string) => ({ id, workspace_id: 'ws_1', attachment_id: 'att_1', service_id: 'svc_1', environment_id: 'env_prod', kind: 'postgres', size: 10, sha256: 'a'.repeat(64), release_number: null, created_at: at, created_by: null, file: `${id}.dump`, project_name: 'shop', environment_name: 'prod', prefix: '', resource: 'slw_1' });
      await db.insertInto('service_backups').values([backup('sbk_hand'), backup('sbk_upgrade'), backup('sbk_upgrade2')]).execute();
      await db.insertInto('service_upgrades').values({ id: 'sup_1', workspace_id: 'ws_1', service_id: 'svc_1', from_image: 'a', from_digest: 'sha256:a', to_image: 'b', to_digest: 'sha256:b', status: 'succeeded', backups: JSON.stringify(['sbk_upgrade', 'sbk_upgrade2']), message: null, owner: 'x', started_at: at, finished_at: at, duration_ms: 1, created_by: null }).execute();

      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const rows = await current.selectFrom('service_backups').select(['id', 'trigger']).orderBy('id').execute();
      expect(rows).toEqual([
        { id: 'sbk_hand', trigger: 'manual' },
        { id: 'sbk_upgrade', trigger: 'upgrade' },
        { id: 'sbk_upgrade2', trigger: 'upgrade' },
      ]);
      await current.insertInto('service_backup_schedules').values({ attachment_id: 'att_1', workspace_id: 'ws_1', service_id: 'svc_1', environment_id: 'env_prod', cron: '0 3 * * *', keep: null, next_at: at, last_slot: null, last_status: null, last_owner: null, last_started_at: null, last_finished_at: null, last_backup_id: null, last_error: null, created_at: at, created_by: null, updated_at: at }).execute();
      await current.deleteFrom('service_attachments').where('id', '=', 'att_1').execute();
      expect(await current.selectFrom('service_backup_schedules').selectAll().execute()).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});
