/**
 * Restoring an environment's volume from one of its backups. The live volume is never written:
 * the backup is unpacked into a new generation of the volume (`slw-<env id>-<name>.g<N>`), the
 * settings record that generation, and a release rolls whose replicas mount it — the usual
 * rolling deploy, so the app switches to the restored data with no downtime. The generation before
 * stays on the target; rolling back to the release before the restore mounts it again.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { dockerVolumeName, parseStoredVolumes, volumeLabels } from '../core/volumes.js';
import { recordAudit } from '../audit/audit.js';
import { activeDeployment, type Deployment } from '../deploy/deployments.js';
import { assertMayChangeWhatRuns } from '../deploy/protected-config.js';
import { restartAfterChange } from '../deploy/restart.js';
import { storedSettings } from '../deploy/settings.js';
import { INSTANCE_LABEL } from '../deploy/spec.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { backupBody } from '../services/backup-file.js';
import type { Executor } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { accessThrough, announceVolume, declaredVolume, findVolumeBackup, runningRelease, toVolumeBackupInfo, transferTarget, verifiedVolumeBackup, where, type VolumeBackupContext, type VolumeBackupInfo } from './backups.js';

export interface VolumeRestoreInfo {
  backup: VolumeBackupInfo;
  /** The generation the backup was unpacked into, and its Docker volume. */
  generation: number;
  dockerVolume: string;
  /** The Docker volume the environment mounted before (kept, with its data). */
  previous: string;
  /** The deploy that mounts the restored generation; null when nothing ran (the next deploy mounts it). */
  deployment: Deployment | null;
  durationMs: number;
}

/** The next generation of a volume: above any its settings, releases or backups know. */
async function nextGeneration(db: Executor, environmentId: string, name: string, current: number): Promise<number> {
  let top = current;
  const releases = await db.selectFrom('releases').select('volumes').distinct().where('environment_id', '=', environmentId).where('volumes', '!=', '[]').execute();
  for (const r of releases) for (const v of parseStoredVolumes(r.volumes)) if (v.name === name) top = Math.max(top, v.generation ?? 0);
  const backups = await db.selectFrom('volume_backups').select((eb) => eb.fn.max('generation').as('g')).where('environment_id', '=', environmentId).where('volume', '=', name).executeTakeFirst();
  return Math.max(top, Number(backups?.g ?? 0)) + 1;
}

/**
 * Records `generation` as the volume's in the environment's settings, if the volume is still
 * declared and still at the generation the restore started from (`from`); else says why not.
 */
async function recordGeneration(db: Executor, environmentId: string, name: string, from: number, generation: number): Promise<'recorded' | 'gone' | 'moved'> {
  const stored = await storedSettings(db, environmentId);
  const volumes = stored.volumes ?? [];
  const now = volumes.find((v) => v.name === name);
  if (!now) return 'gone';
  if ((now.generation ?? 0) !== from) return 'moved';
  const data = JSON.stringify({ ...stored, volumes: volumes.map((v) => (v.name === name ? { ...v, generation } : v)) });
  await db.updateTable('environment_settings').set({ data, updated_at: nowIso() }).where('environment_id', '=', environmentId).execute();
  return 'recorded';
}

/**
 * What writing backup `id` of `from`'s volume `name` into `to`'s volume of that name takes: the
 * backup's row and checked file, the volume as `to` declares it, the target `to` runs on, and
 * the release `from` runs (its image is what the target reads and writes the volume through).
 */
async function importFrom(ctx: VolumeBackupContext, from: EnvironmentAccess, name: string, id: string, to: EnvironmentAccess) {
  const row = await findVolumeBackup(ctx.db, from, name, id);
  const { volume, target } = await declaredVolume(ctx.db, to, name);
  const release = await runningRelease(ctx.db, from, 'writes a volume');
  const t = transferTarget(ctx, to, target);
  const path = await verifiedVolumeBackup(ctx, row);
  return { row, volume, release, t, path };
}

/** Restores under way in this process, by environment id and volume: one at a time per volume. */
const underWay = new Set<string>();

/**
 * Restores backup `id` of volume `name`: checks the file, unpacks it into a new generation through
 * the running release's image, records that generation and rolls a release that mounts it.
 * Refused while another deploy runs (SLW_DEPLOY_IN_PROGRESS), and for a developer where the
 * environment requires approval (SLW_FORBIDDEN). A failure before the settings change leaves
 * everything as it was (the half-filled generation is removed).
 */
export async function restoreVolumeBackup(ctx: VolumeBackupContext, access: EnvironmentAccess, name: string, id: string): Promise<VolumeRestoreInfo> {
  const key = `${access.environment.id}/${name}`;
  if (underWay.has(key)) throw new SlipwayError('SLW_DEPLOY_IN_PROGRESS', `a restore of volume '${name}' of ${where(access)} is under way; wait for it to end (slipway volume backups ${name} -p ${access.project.name} -e ${access.environment.name})`);
  underWay.add(key);
  try {
    return await restore(ctx, access, name, id);
  } finally {
    underWay.delete(key);
  }
}

async function restore(ctx: VolumeBackupContext, access: EnvironmentAccess, name: string, id: string): Promise<VolumeRestoreInfo> {
  const started = Date.now();
  await assertMayChangeWhatRuns(ctx.db, access, `the data of volume '${name}'`);
  const active = await activeDeployment(ctx.db, access.environment.id);
  if (active) throw new SlipwayError('SLW_DEPLOY_IN_PROGRESS', `${where(access)} is deploying now; restore once that deploy ends (slipway logs ${active.id} --follow)`);
  const written = await restoreIntoNewGeneration(ctx, access, name, id);
  const deployment = await restartAfterChange(ctx.db, access, 'volume-restore', actorOf(access.principal), ctx.enqueue);
  return { ...written, deployment, durationMs: Date.now() - started };
}

/**
 * Unpacks backup `id` of volume `name` into a new generation of the volume and records that
 * generation in the environment's settings (audited, announced); rolls nothing: the next deploy
 * mounts it. What a restore does before its deploy, and what a herd revert does before its
 * rollback (src/herds/site-steps.ts), which mounts it. A failure before the settings change leaves
 * everything as it was (the half-filled generation is removed).
 */
export async function restoreIntoNewGeneration(ctx: VolumeBackupContext, access: EnvironmentAccess, name: string, id: string): Promise<Omit<VolumeRestoreInfo, 'deployment' | 'durationMs'>> {
  const { row, volume, release, t, path } = await importFrom(ctx, access, name, id, access);
  const previous = dockerVolumeName(access.environment.id, name, volume.generation);
  const generation = await nextGeneration(ctx.db, access.environment.id, name, volume.generation ?? 0);
  const dockerVolume = dockerVolumeName(access.environment.id, name, generation);
  const ids = { workspace: access.workspace.name, project: access.project.name, environment: access.environment.name, environmentId: access.environment.id };
  const through = { ...accessThrough(ctx, access, release, `${id}-r${generation}`, dockerVolume, volume.path), labels: { ...volumeLabels(ids, name), 'io.slipway.volume-generation': String(generation), [INSTANCE_LABEL]: ctx.deploy!.instance } };
  try {
    // After a crash in the middle of this, a retry of the same backup finds part of it there: its files are replaced.
    await t.importVolume(through, backupBody(path));
  } catch (error) {
    await t.removeVolume(dockerVolume).catch(() => undefined);
    if (error instanceof SlipwayError) throw error;
    throw new SlipwayError('SLW_INTERNAL', `could not write backup ${id} into a new volume for ${where(access)}: ${error instanceof Error ? error.message : String(error)}; nothing was changed`);
  }
  const recorded = await ctx.db.transaction().execute(async (tx) => {
    const outcome = await recordGeneration(tx, access.environment.id, name, volume.generation ?? 0, generation);
    if (outcome === 'recorded') await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'volume.restore', targetType: 'environment', target: where(access), details: { volume: name, backup: id, generation, dockerVolume, previous } });
    return outcome;
  });
  if (recorded === 'gone') {
    await t.removeVolume(dockerVolume).catch(() => undefined);
    throw new SlipwayError('SLW_NOT_FOUND', `volume '${name}' was removed from ${where(access)} while its backup was being restored; nothing was changed`);
  }
  // Another control plane restored the same volume meanwhile: its generation stands (the volume written here may be the one it recorded, so it stays).
  if (recorded === 'moved') throw new SlipwayError('SLW_DEPLOY_IN_PROGRESS', `volume '${name}' of ${where(access)} was restored by another request meanwhile; see slipway env show, and restore again if you still want backup ${id}`);
  announceVolume(access, name, 'restored');
  return { backup: toVolumeBackupInfo(access, row, row.email), generation, dockerVolume, previous };
}

/**
 * Unpacks backup `id` of `from`'s volume `name` into the same volume of environment `to` as its
 * settings declare it (a herd's staged clone, before its first deploy: nothing mounts it yet),
 * through the image of the release `from` runs. Repeating it replaces the same files.
 */
export async function copyVolumeBackupInto(ctx: VolumeBackupContext, from: EnvironmentAccess, name: string, id: string, to: EnvironmentAccess): Promise<{ dockerVolume: string; size: number }> {
  const { row, volume, release, t, path } = await importFrom(ctx, from, name, id, to);
  const dockerVolume = dockerVolumeName(to.environment.id, name, volume.generation);
  const ids = { workspace: to.workspace.name, project: to.project.name, environment: to.environment.name, environmentId: to.environment.id };
  const through = { ...accessThrough(ctx, from, release, `${id}-c${to.environment.id.slice(-8).toLowerCase()}`, dockerVolume, volume.path), labels: { ...volumeLabels(ids, name), [INSTANCE_LABEL]: ctx.deploy!.instance } };
  try {
    await t.importVolume(through, backupBody(path));
  } catch (error) {
    if (error instanceof SlipwayError) throw error;
    throw new SlipwayError('SLW_INTERNAL', `could not copy backup ${id} into volume '${name}' of ${where(to)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { dockerVolume, size: Number(row.size) };
}
