/**
 * Carrying an environment's volumes along when it moves to another target (`env set --target
 * OTHER --copy-volumes`): before the settings change, a backup of each declared volume is taken
 * on the target it runs on now (trigger `move`); once the settings name the new target, each is
 * unpacked there into a new generation of its volume, and the move's release mounts those. Data
 * written on the old target after its backup is not carried, unless `--stop-first` stopped the
 * environment there before the backups (it then serves nothing until the move's release is live).
 * Should a copy fail, the settings go back to what they were (target and generations) and nothing
 * moves (a stopped environment is started again where it was); the backups stay, listed.
 *
 * @module
 */
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { SlipwayError } from '../core/errors.js';
import { createVolumeBackup, transferTarget, type VolumeBackupContext, type VolumeBackupInfo } from './backups.js';
import { restoreIntoNewGeneration } from './restore.js';

export interface CopiedVolume {
  volume: string;
  /** The backup taken on the old target. */
  backup: string;
  size: number;
  /** The generation it was unpacked into on the new target, and its Docker volume there. */
  generation: number;
  dockerVolume: string;
}

/** How long a stop before a copy waits for the environment's workloads to be gone from the old target. */
const stopWaitMs = 60_000;

/**
 * `--stop-first`: the environment's workloads on `target` (where it runs now) removed, and waited
 * for until the target reports none (an agent's server reports it in its next heartbeat), so
 * nothing writes the volumes while they are copied. Returns how many there were.
 */
export async function stopForMove(ctx: VolumeBackupContext, access: EnvironmentAccess, target: string): Promise<number> {
  const t = transferTarget(ctx, access, target);
  const labels = { 'io.slipway.environment-id': access.environment.id };
  const workloads = await t.list(labels);
  for (const w of workloads) await t.remove(w.name, 10);
  const until = Date.now() + stopWaitMs;
  // Polled every 250 ms: short against a container's stop, bounded by stopWaitMs.
  while ((await t.list(labels)).length > 0) {
    if (Date.now() > until) throw new SlipwayError('SLW_SERVER_UNREACHABLE', `the replicas of ${access.project.name}/${access.environment.name} on '${target}' did not stop within ${stopWaitMs / 1000} s; nothing was copied`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return workloads.length;
}

/** Before the move: a backup of each volume the environment declares, on the target it runs on now. */
export async function backUpForMove(ctx: VolumeBackupContext, access: EnvironmentAccess, names: string[]): Promise<VolumeBackupInfo[]> {
  const out: VolumeBackupInfo[] = [];
  for (const name of names) out.push(await createVolumeBackup(ctx, access, name, 'move'));
  return out;
}

/**
 * After the settings name the new target: each backup unpacked there into a new generation. On a
 * failure the settings row goes back to `before` (its JSON as read before the move) and the error
 * is thrown: the caller requests no move.
 */
export async function copyAfterMove(ctx: VolumeBackupContext, access: EnvironmentAccess, backups: VolumeBackupInfo[], before: string | null): Promise<CopiedVolume[]> {
  const out: CopiedVolume[] = [];
  try {
    for (const b of backups) {
      const r = await restoreIntoNewGeneration(ctx, access, b.volume, b.id);
      out.push({ volume: b.volume, backup: b.id, size: b.size, generation: r.generation, dockerVolume: r.dockerVolume });
    }
  } catch (error) {
    const id = access.environment.id;
    if (before === null) await ctx.db.deleteFrom('environment_settings').where('environment_id', '=', id).execute();
    else await ctx.db.updateTable('environment_settings').set({ data: before, updated_at: nowIso() }).where('environment_id', '=', id).execute();
    throw error;
  }
  return out;
}
