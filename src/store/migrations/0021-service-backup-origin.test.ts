/**
 * Migration 0021 on both engines: backups stored before it get where they were taken from what
 * still exists — project and environment from the environment, prefix and resource from the
 * attachment — and null where it is gone (a detached attachment, a deleted environment).
 */
import { Migrator, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { engines } from '../../../test/support/engines.js';
import { openOld } from '../../../test/support/old-store.js';
import type { Database, ServiceBackupsTable } from '../schema.js';
import { migrationProvider } from './index.js';

/** The store as it was at 0020: backups had no `trigger` yet (0025). */
type Before0025 = Omit<Database, 'service_backups'> & { service_backups: Omit<ServiceBackupsTable, 'trigger'> };

const at = '2025-01-01T00:00:00.000Z';

describe.each(engines)('migration 0021 on %s', (engine) => {
  it("fills a backup's origin from its environment and attachment where they still exist", async () => {
    const { db: current, cleanup } = await openOld(engine);
    // The same connection, typed as the store was then.
    const db = current as unknown as Kysely<Before0025>;
    try {
      const migrator = new Migrator({ db, provider: migrationProvider });
      expect((await migrator.migrateTo('0020-continuous-options')).error).toBeUndefined();
      await db.insertInto('workspaces').values({ id: 'ws_1', name: 'acme', tier: 'high', created_at: at, updated_at: at }).execute();
      await db.insertInto('projects').values({ id: 'prj_1', workspace_id: 'ws_1', name: 'shop', config_version: 0, created_at: at }).execute();
      await db.insertInto('environments').values([{ id: 'env_dev', project_id: 'prj_1', name: 'dev', kind: 'standard', created_at: at }, { id: 'env_prod', project_id: 'prj_1', name: 'prod', kind: 'standard', created_at: at }]).execute();
      await db.insertInto('services').values({ id: 'svc_1', workspace_id: 'ws_1', name: 'data', kind: 'postgres', mode: 'adopted', host: '127.0.0.1', port: 5432, workload_host: '127.0.0.1', workload_port: 5432, admin_envelope: '{}', server_version: null, created_at: at, created_by: null }).execute();
      await db.insertInto('service_attachments').values({ id: 'att_live', workspace_id: 'ws_1', service_id: 'svc_1', project_id: 'prj_1', environment_id: 'env_prod', prefix: 'ANALYTICS', resource: 'slw_live', state: 'attached', drop_data: 0, generation: 1, created_at: at, created_by: null }).execute();
      const backup = (id: string, attachment: string, environment: string) => ({ id, workspace_id: 'ws_1', attachment_id: attachment, service_id: 'svc_1', environment_id: environment, kind: 'postgres', size: 10, sha256: 'a'.repeat(64), release_number: null, created_at: at, created_by: null, file: `${id}.dump` });
      // Live attachment; attachment detached (environment still there); environment deleted.
      await db.insertInto('service_backups').values([backup('sbk_live', 'att_live', 'env_prod'), backup('sbk_detached', 'att_gone', 'env_dev'), backup('sbk_deleted', 'att_gone2', 'env_gone')]).execute();

      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const rows = await db.selectFrom('service_backups').select(['id', 'project_name', 'environment_name', 'prefix', 'resource']).orderBy('id').execute();
      expect(rows).toEqual([
        { id: 'sbk_deleted', project_name: null, environment_name: null, prefix: null, resource: null },
        { id: 'sbk_detached', project_name: 'shop', environment_name: 'dev', prefix: null, resource: null },
        { id: 'sbk_live', project_name: 'shop', environment_name: 'prod', prefix: 'ANALYTICS', resource: 'slw_live' },
      ]);
    } finally {
      await cleanup();
    }
  });
});
