/**
 * Backups of an environment's volumes (docs/adr/0020-environment-volume-backups.md): the volume's
 * files as a tar read through the environment's target ({@link Target.exportVolume}, nothing run
 * in any container), stored as a signed file in the server's data directory
 * (`volume-backups/<environment id>/<backup id>.tar`, the service backups' format with kind
 * `volume`), one row per backup. Restores: restore.ts.
 *
 * @module
 */
import { once } from 'node:events';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { SlipwayError, notFound } from '../core/errors.js';
import { effectiveSettings, type StoredSettings } from '../core/deploy.js';
import { dockerVolumeName, parseStoredVolumes, volumeBackupTriggers, type EnvironmentVolume, type VolumeBackupTrigger } from '../core/volumes.js';
import { recordAudit } from '../audit/audit.js';
import { currentRelease } from '../deploy/deployments.js';
import { announceChange } from '../deploy/events.js';
import { namesOf, storedSettings } from '../deploy/settings.js';
import type { Placements, RegistryAuth, Target, VolumeAccess } from '../deploy/target.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { Keyring } from '../secrets/secrets.js';
import { backupBody, verifyBackupFile, writeBackupFile, type BackupBinding } from '../services/backup-file.js';
import { backupNeededBy } from '../services/backup-retention.js';
import type { Db, Executor, ReleasesTable, VolumeBackupsTable } from '../store/schema.js';
import type { VolumeChange } from '../api/streams.js';
import { actorOf } from '../tenancy/principal.js';

/** What volume backups need: the store, the keyring (file signatures), the data directory and, to reach volumes, the targets and the registry. */
export interface VolumeBackupContext {
  db: Db;
  keyring: Keyring;
  dataDir: string;
  /** Null on a server that deploys nothing (no --proxy-listen): backups and restores are refused. */
  deploy: { placements: Placements; registry: { host: string; auth(repository: string): RegistryAuth }; instance: string } | null;
  /** Starts the deploy a restore requests. */
  enqueue(environmentId: string): void;
  /** Backups kept per volume after a new one (the server's --keep-backups); 0 or absent: every one. */
  keepBackups?: number | undefined;
}

/** A volume backup as the API shows it. */
export interface VolumeBackupInfo {
  id: string;
  project: string;
  environment: string;
  volume: string;
  generation: number;
  size: number;
  sha256: string;
  release: number | null;
  trigger: VolumeBackupTrigger;
  createdAt: string;
  createdBy: string | null;
}

export const where = (access: EnvironmentAccess) => `${access.project.name}/${access.environment.name}`;

export function toVolumeBackupInfo(access: EnvironmentAccess, row: VolumeBackupsTable, email: string | null): VolumeBackupInfo {
  return { id: row.id, project: access.project.name, environment: access.environment.name, volume: row.volume, generation: Number(row.generation), size: Number(row.size), sha256: row.sha256, release: row.release_number, trigger: (volumeBackupTriggers as readonly string[]).includes(row.trigger) ? (row.trigger as VolumeBackupTrigger) : 'manual', createdAt: row.created_at, createdBy: email };
}

/** Tells the workspace's change stream about a volume backup change already stored. */
export function announceVolume(access: EnvironmentAccess, volume: string, change: VolumeChange['change']): void {
  announceChange(access.workspace.id, { kind: 'volume', project: access.project.name, environment: access.environment.name, volume, change });
}

/** Where an environment's volume backups are kept. */
export const volumeBackupDir = (dataDir: string, environmentId: string) => join(dataDir, 'volume-backups', environmentId);

/** What binds a backup file to its environment and volume. */
export const bindingOf = (row: Pick<VolumeBackupsTable, 'workspace_id' | 'environment_id' | 'volume' | 'id'>): BackupBinding => ({ kind: 'volume', workspace: row.workspace_id, attachment: `${row.environment_id}/${row.volume}`, backup: row.id });

/** The environment's volume `name` as its settings declare it now; SLW_NOT_FOUND naming those there are. */
export async function declaredVolume(db: Executor, access: EnvironmentAccess, name: string): Promise<{ volume: EnvironmentVolume; target: string }> {
  const settings = effectiveSettings(namesOf(access), (await storedSettings(db, access.environment.id)) as StoredSettings);
  const volume = settings.volumes.find((v) => v.name === name);
  if (!volume) {
    const have = settings.volumes.length > 0 ? `its volumes: ${settings.volumes.map((v) => v.name).join(', ')}` : 'it has none (slipway env set --volume NAME:/PATH declares one)';
    throw new SlipwayError('SLW_NOT_FOUND', `volume '${name.slice(0, 64)}' is not declared by ${where(access)} (${have})`);
  }
  return { volume, target: settings.target };
}

/** The release that runs now; a volume is read and written through its image. */
export async function runningRelease(db: Executor, access: EnvironmentAccess, what: string): Promise<ReleasesTable> {
  const release = await currentRelease(db, access.environment.id);
  if (!release) throw new SlipwayError('SLW_NOTHING_DEPLOYED', `${where(access)} runs nothing yet, and Slipway ${what} through the image of the release that runs; deploy it first`);
  return release;
}

/** The target the environment is placed on, if it can move volume data; else SLW_VOLUME_TRANSFER_UNSUPPORTED. */
export function transferTarget(ctx: VolumeBackupContext, access: EnvironmentAccess, target: string): Target & Required<Pick<Target, 'exportVolume' | 'importVolume'>> {
  if (!ctx.deploy) throw new SlipwayError('SLW_VOLUME_TRANSFER_UNSUPPORTED', 'this server deploys nothing (it runs without --proxy-listen), so it reaches no volume');
  const t = ctx.deploy.placements.resolve(target).target;
  if (!t.exportVolume || !t.importVolume) throw new SlipwayError('SLW_VOLUME_TRANSFER_UNSUPPORTED', `${where(access)} runs on '${target}', whose volumes Slipway cannot read or write (the local engine's and a joined server's agent's can); back its volume up on that server by hand`);
  return t as Target & Required<Pick<Target, 'exportVolume' | 'importVolume'>>;
}

/** How a target reaches a volume through the running release's image. */
export function accessThrough(ctx: VolumeBackupContext, access: EnvironmentAccess, release: ReleasesTable, transfer: string, volume: string, path: string): VolumeAccess {
  const repository = `${access.workspace.name}/${access.project.name}`;
  const registry = ctx.deploy!.registry;
  return { name: `slw-vio-${transfer}`, volume, path, image: `${registry.host}/${repository}@${release.image_digest}`, registryAuth: registry.auth(repository) };
}

async function writeAll(out: Writable, source: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of source) if (!out.write(chunk)) await once(out, 'drain');
}

/** The e-mail of the user behind an action (null for an instance token's). */
export const emailOf = async (db: Executor, userId: string | null) => (userId === null ? null : ((await db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst())?.email ?? null));

/**
 * Backs up the volume `name` as the running release mounts it (the generation it records; one
 * declared after that release started: as the settings say). The volume is read while the app
 * runs: not crash-consistent for a database file (docs/deploy.md#volume-backups).
 */
export async function createVolumeBackup(ctx: VolumeBackupContext, access: EnvironmentAccess, name: string, trigger: VolumeBackupTrigger = 'manual'): Promise<VolumeBackupInfo> {
  const { volume: declared, target } = await declaredVolume(ctx.db, access, name);
  const release = await runningRelease(ctx.db, access, 'reads a volume');
  const t = transferTarget(ctx, access, target);
  const mounted = parseStoredVolumes(release.volumes).find((v) => v.name === name) ?? declared;
  const generation = mounted.generation ?? 0;
  const id = newId('vbk');
  const file = `${id}.tar`;
  const dir = volumeBackupDir(ctx.dataDir, access.environment.id);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const binding = bindingOf({ workspace_id: access.workspace.id, environment_id: access.environment.id, volume: name, id });
  const through = accessThrough(ctx, access, release, id, dockerVolumeName(access.environment.id, name, generation), mounted.path);
  let written: { size: number; sha256: string };
  try {
    written = await writeBackupFile(ctx.keyring, join(dir, file), binding, (out) => writeAll(out, t.exportVolume(through)));
  } catch (error) {
    if (error instanceof SlipwayError) throw error;
    throw new SlipwayError('SLW_INTERNAL', `could not read volume '${name}' of ${where(access)}: ${error instanceof Error ? error.message : String(error)}; no backup was made`);
  }
  const row: VolumeBackupsTable = { id, workspace_id: access.workspace.id, environment_id: access.environment.id, volume: name, generation, size: written.size, sha256: written.sha256, release_number: release.number, trigger, created_at: nowIso(), created_by: access.principal.userId, file };
  try {
    await ctx.db.transaction().execute(async (tx) => {
      await tx.insertInto('volume_backups').values(row).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'volume.backup', targetType: 'environment', target: where(access), details: { volume: name, backup: id, generation, size: written.size, sha256: written.sha256, release: release.number, trigger } });
    });
  } catch (error) {
    await rm(join(dir, file), { force: true });
    throw error;
  }
  // The newest N stay (this one among them); a failure here leaves the old ones for the next backup.
  if (ctx.keepBackups) await pruneVolumeBackups(ctx, access, name, ctx.keepBackups).catch(() => undefined);
  // One announcement for the new backup and the old ones retention removed with it.
  announceVolume(access, name, 'backed-up');
  return toVolumeBackupInfo(access, row, await emailOf(ctx.db, access.principal.userId));
}

/**
 * Removes all but the newest `keep` backups of the volume (rows, then files); with `only`, of its
 * backups made by that trigger alone (a schedule's keep removes only scheduled backups). Returns the ids removed.
 */
export async function pruneVolumeBackups(ctx: Pick<VolumeBackupContext, 'db' | 'dataDir'>, access: EnvironmentAccess, name: string, keep: number, only?: { trigger: 'schedule'; why: string }): Promise<string[]> {
  let q = ctx.db.selectFrom('volume_backups').select(['id', 'file']).where('environment_id', '=', access.environment.id).where('volume', '=', name);
  if (only) q = q.where('trigger', '=', only.trigger);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  const old: typeof rows = [];
  // One a herd upgrade may still restore (a revert, `herd abort --revert`) stays, as service backups do.
  for (const r of rows.slice(keep)) if ((await backupNeededBy(ctx.db, r.id)) === null) old.push(r);
  if (old.length === 0) return [];
  await ctx.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('volume_backups').where('id', 'in', old.map((r) => r.id)).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'volume.backup-remove', targetType: 'environment', target: where(access), details: { volume: name, backups: old.map((r) => r.id), reason: only?.why ?? `keep ${keep} (--keep-backups)` } });
  });
  for (const r of old) await rm(join(volumeBackupDir(ctx.dataDir, access.environment.id), r.file), { force: true });
  return old.map((r) => r.id);
}

/** The environment's volume backups, newest first; with `name`, that volume's only. */
export async function listVolumeBackups(db: Executor, access: EnvironmentAccess, name?: string): Promise<VolumeBackupInfo[]> {
  let q = db.selectFrom('volume_backups as b').leftJoin('users as u', 'u.id', 'b.created_by').selectAll('b').select('u.email').where('b.environment_id', '=', access.environment.id);
  if (name !== undefined) q = q.where('b.volume', '=', name);
  const rows = await q.orderBy('b.created_at', 'desc').orderBy('b.id', 'desc').execute();
  return rows.map((r) => toVolumeBackupInfo(access, r, r.email ?? null));
}

/** One backup of the environment's volume `name`; SLW_NOT_FOUND when there is none of this id there. */
export async function findVolumeBackup(db: Executor, access: EnvironmentAccess, name: string, id: string): Promise<VolumeBackupsTable & { email: string | null }> {
  const row = await db.selectFrom('volume_backups as b').leftJoin('users as u', 'u.id', 'b.created_by').selectAll('b').select('u.email').where('b.id', '=', id).where('b.environment_id', '=', access.environment.id).where('b.volume', '=', name).executeTakeFirst();
  if (!row) throw notFound('backup', id.slice(0, 64), `volume '${name.slice(0, 64)}' of ${where(access)} (slipway volume backups ${name.slice(0, 64)} lists them)`);
  return { ...row, email: row.email ?? null };
}

/** The backup's file, checked (intact, this instance's, of this environment's volume); SLW_BACKUP_INVALID otherwise. */
export async function verifiedVolumeBackup(ctx: Pick<VolumeBackupContext, 'keyring' | 'dataDir'>, row: VolumeBackupsTable): Promise<string> {
  const path = join(volumeBackupDir(ctx.dataDir, row.environment_id), row.file);
  await verifyBackupFile(ctx.keyring, path, bindingOf(row), { size: Number(row.size), sha256: row.sha256 });
  return path;
}

/** The backup's tar, after its file is checked: what a download sends. */
export async function openVolumeBackup(ctx: VolumeBackupContext, access: EnvironmentAccess, name: string, id: string): Promise<{ info: VolumeBackupInfo; tar: AsyncIterable<Uint8Array> }> {
  const row = await findVolumeBackup(ctx.db, access, name, id);
  const path = await verifiedVolumeBackup(ctx, row);
  await recordAudit(ctx.db, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'volume.download', targetType: 'environment', target: where(access), details: { volume: name, backup: id } });
  return { info: toVolumeBackupInfo(access, row, row.email), tar: backupBody(path) };
}

/** Removes a backup: its row, then its file. Refused (SLW_BACKUP_IN_USE) while a herd upgrade may still restore it. */
export async function removeVolumeBackup(ctx: VolumeBackupContext, access: EnvironmentAccess, name: string, id: string): Promise<{ deleted: string }> {
  const row = await findVolumeBackup(ctx.db, access, name, id);
  const needed = await backupNeededBy(ctx.db, row.id);
  if (needed) throw new SlipwayError('SLW_BACKUP_IN_USE', `backup ${row.id} of volume '${name}' is kept for ${needed}; remove it once that has ended`);
  await ctx.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('volume_backups').where('id', '=', row.id).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'volume.backup-remove', targetType: 'environment', target: where(access), details: { volume: name, backup: id } });
  });
  await rm(join(volumeBackupDir(ctx.dataDir, row.environment_id), row.file), { force: true });
  announceVolume(access, name, 'backup-removed');
  return { deleted: row.id };
}

/**
 * Removes the backup files of environments that are gone (deleting an environment deletes its
 * backups' rows in its transaction; the files go here, after it, and at every start).
 */
export async function pruneOrphanVolumeBackups(db: Executor, dataDir: string): Promise<number> {
  const root = join(dataDir, 'volume-backups');
  let dirs: string[];
  try {
    dirs = await readdir(root);
  } catch {
    return 0;
  }
  if (dirs.length === 0) return 0;
  const live = new Set((await db.selectFrom('environments').select('id').where('id', 'in', dirs).execute()).map((e) => e.id));
  const gone = dirs.filter((dir) => !live.has(dir));
  for (const dir of gone) await rm(join(root, dir), { recursive: true, force: true });
  return gone.length;
}
