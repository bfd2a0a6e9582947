/** API shapes: backups of an environment's volumes, their download and their restore into a new generation of the volume. */
import { z } from 'zod';
import { maxKeep } from '../core/backup-schedules.js';
import { backupScheduleSchema } from './backup-schedules.js';
import { assertVolumeName, volumeBackupTriggers } from '../core/volumes.js';
import { deploymentSchema } from './deploy.js';
import { coreChecked, timestamp } from './common.js';

/** A volume's name as the environment declares it. */
export const volumeNameSchema = coreChecked((v) => assertVolumeName(v), { pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$', maxLength: 32, description: "the volume's name in the environment", examples: ['data'] });

export const volumeParam = z.object({ volume: volumeNameSchema });
export const volumeBackupParam = z.object({ volume: volumeNameSchema, backup: z.string().min(1).max(64) });

export const volumeBackupSchema = z
  .object({
    id: z.string(),
    project: z.string(),
    environment: z.string(),
    volume: z.string(),
    generation: z.number().int().meta({ description: 'the generation of the volume it was read from (0: the first; a restore makes the next)' }),
    size: z.number().int().meta({ description: 'bytes of the tar archive of its files' }),
    sha256: z.string().meta({ description: 'SHA-256 of the tar archive (what a download sends)' }),
    release: z.number().int().nullable().meta({ description: 'the release that ran when it was taken' }),
    trigger: z.enum(volumeBackupTriggers).meta({ description: "what made it: manual (by hand), upgrade (a herd upgrade's backup step, before it touched the site) move (env set --copy-volumes, on the target it left), upload (a tar a user uploaded: slipway volume upload) or schedule (the volume's backup schedule)" }),
    createdAt: timestamp,
    createdBy: z.string().nullable().meta({ description: "the user's email (null: an instance token)" }),
  })
  .meta({ id: 'VolumeBackup', description: "a tar archive of a volume's files, kept in the server's data directory behind a signed header" });
export type VolumeBackupInfo = z.output<typeof volumeBackupSchema>;

export const volumeBackupListSchema = z.object({ backups: z.array(volumeBackupSchema) });
export type VolumeBackupList = z.output<typeof volumeBackupListSchema>;

export const volumeRestoreSchema = z
  .object({
    backup: volumeBackupSchema,
    generation: z.number().int().meta({ description: 'the new generation the backup was unpacked into' }),
    dockerVolume: z.string().meta({ description: 'its Docker volume on the target (slw-ENVIRONMENT_ID-NAME.gN)' }),
    previous: z.string().meta({ description: 'the Docker volume mounted before, kept with its data (rolling back to the release before the restore mounts it again)' }),
    deployment: deploymentSchema.nullable().meta({ description: 'the deploy that mounts the restored generation (null: nothing ran; the next deploy mounts it)' }),
    durationMs: z.number().int(),
  })
  .meta({ id: 'VolumeRestore' });
export type VolumeRestoreInfo = z.output<typeof volumeRestoreSchema>;

export const volumeBackupScheduleBody = z.strictObject({
  cron: z.string().min(1).max(200).meta({ description: "five cron fields, UTC (e.g. '0 3 * * *': every day at 03:00)" }),
  keep: z.number().int().min(1).max(maxKeep).nullable().optional().meta({ description: 'keep the newest N scheduled backups of the volume (null: every one; left out: as it was, every one for a new schedule). A keep that may remove backups (new or lower) needs admin' }),
});
export type VolumeBackupScheduleBody = z.input<typeof volumeBackupScheduleBody>;

export const volumeBackupScheduleStateSchema = z
  .object({
    project: z.string(),
    environment: z.string(),
    volume: z.string(),
    schedule: backupScheduleSchema.nullable().meta({ description: 'null: no schedule (backups by hand, before herd upgrades and moves only)' }),
  })
  .meta({ id: 'VolumeBackupScheduleState' });
export type VolumeBackupScheduleState = z.output<typeof volumeBackupScheduleStateSchema>;
