/**
 * Carrying an environment's volumes along when it moves to another target (`env set --target
 * OTHER --copy-volumes`): before the settings change, a backup of each declared volume is taken
 * on the target it runs on now (trigger `move`); once the settings name the new target, each is
 * unpacked there into a new generation of its volume, and the move's release mounts those. Data
 * written on the old target after its backup is not carried. Should a copy fail, the settings go
 * back to what they were (target and generations) and nothing moves; the backups stay, listed.
 *
 * @module
 */
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { createVolumeBackup, type VolumeBackupContext, type VolumeBackupInfo } from './backups.js';
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
