/**
 * A volume `data` declared by an environment, with one backup of it stored as the server stores
 * one (a signed file in its data directory, made with the server's own master key, and its row):
 * for the tests that walk every route and need a real backup id behind `{backup}`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadMasterKey } from '../../src/secrets/master-key.js';
import { masterKeyring } from '../../src/secrets/keyring.js';
import { newId } from '../../src/platform/ids.js';
import { writeBackupFile } from '../../src/services/backup-file.js';
import type { Db } from '../../src/store/schema.js';
import { bindingOf, volumeBackupDir } from '../../src/volumes/backups.js';
import { withSqliteStore } from './fixtures.js';

/** An empty tar: two end-of-archive blocks. */
const emptyTar = Buffer.alloc(1024);

export async function seedVolumeBackupIn(db: Db, dataDir: string, workspace: string, project: string, environment: string): Promise<{ volume: string; backup: string }> {
  const env = await db
    .selectFrom('environments as e')
    .innerJoin('projects as p', 'p.id', 'e.project_id')
    .innerJoin('workspaces as w', 'w.id', 'p.workspace_id')
    .select(['e.id', 'w.id as workspaceId'])
    .where('w.name', '=', workspace)
    .where('p.name', '=', project)
    .where('e.name', '=', environment)
    .executeTakeFirstOrThrow();
  const row = await db.selectFrom('environment_settings').select('data').where('environment_id', '=', env.id).executeTakeFirst();
  const data = JSON.stringify({ ...(row ? (JSON.parse(row.data) as object) : {}), volumes: [{ name: 'data', path: '/data' }] });
  const now = new Date().toISOString();
  await db.insertInto('environment_settings').values({ environment_id: env.id, data, updated_at: now }).onConflict((oc) => oc.column('environment_id').doUpdateSet({ data, updated_at: now })).execute();
  const id = newId('vbk');
  const dir = volumeBackupDir(dataDir, env.id);
  mkdirSync(dir, { recursive: true });
  const keyring = masterKeyring(loadMasterKey(join(dataDir, 'master.key'), { create: false }).key);
  const file = `${id}.tar`;
  const written = await writeBackupFile(keyring, join(dir, file), bindingOf({ workspace_id: env.workspaceId, environment_id: env.id, volume: 'data', id }), async (out) => void out.write(emptyTar));
  await db.insertInto('volume_backups').values({ id, workspace_id: env.workspaceId, environment_id: env.id, volume: 'data', generation: 0, size: written.size, sha256: written.sha256, release_number: null, trigger: 'manual', created_at: now, created_by: null, file }).execute();
  return { volume: 'data', backup: id };
}

/** {@link seedVolumeBackupIn} on an in-process server's SQLite store. */
export function seedVolumeBackup(dataDir: string, dbFile: string, workspace: string, project: string, environment: string): Promise<{ volume: string; backup: string }> {
  return withSqliteStore(dbFile, (db) => seedVolumeBackupIn(db, dataDir, workspace, project, environment));
}
