/** API shapes: an attachment's backup schedule (cron in UTC, how many scheduled backups to keep, the next slot and the last one's outcome). */
import { z } from 'zod';
import { backupTriggers, maxKeep } from '../core/backup-schedules.js';
import { timestamp } from './common.js';

export const backupTriggerSchema = z.enum(backupTriggers).meta({ description: 'what made the backup: manual (by hand), upgrade (a herd or service upgrade), schedule (its attachment\'s backup schedule)' });

export const scheduleOutcomeSchema = z
  .object({
    slot: timestamp.meta({ description: 'the slot taken (a catch-up backup after downtime stands for the latest missed slot)' }),
    status: z.enum(['running', 'ok', 'failed']),
    startedAt: timestamp,
    finishedAt: timestamp.nullable(),
    backup: z.string().nullable().meta({ description: 'ok: the backup made' }),
    error: z.string().nullable().meta({ description: 'failed: why (SLW_… code and message)' }),
  })
  .meta({ id: 'BackupScheduleOutcome', description: 'what came of the last slot a scheduler took' });

export const backupScheduleSchema = z
  .object({
    cron: z.string().meta({ description: 'five cron fields, UTC' }),
    keep: z.number().int().nullable().meta({ description: "how many of the attachment's scheduled backups stay (older scheduled ones are removed, never one something may still restore, never one made by hand or for an upgrade); null: every one" }),
    nextAt: timestamp.nullable().meta({ description: 'the next slot (null: the expression matches no minute any more)' }),
    last: scheduleOutcomeSchema.nullable().meta({ description: 'null: no slot taken yet' }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'BackupSchedule', description: "an attachment's backup schedule" });
export type BackupScheduleInfo = z.output<typeof backupScheduleSchema>;

const prefix = z.string().max(32).meta({ description: 'variable prefix of the attachment (--as)' });

export const backupScheduleBody = z.strictObject({
  as: prefix.optional(),
  cron: z.string().min(1).max(200).meta({ description: "five cron fields, UTC (e.g. '0 3 * * *': every day at 03:00)" }),
  keep: z.number().int().min(1).max(maxKeep).nullable().optional().meta({ description: 'keep the newest N scheduled backups (null: every one; left out: as it was, every one for a new schedule). A keep that may remove backups (new or lower) needs admin' }),
});
export type BackupScheduleBody = z.input<typeof backupScheduleBody>;

export const backupScheduleQuery = z.strictObject({ as: prefix.optional() });

export const backupScheduleStateSchema = z
  .object({
    service: z.string(),
    project: z.string(),
    environment: z.string(),
    as: z.string().nullable(),
    schedule: backupScheduleSchema.nullable().meta({ description: 'null: no schedule (backups only by hand and before upgrades)' }),
  })
  .meta({ id: 'BackupScheduleState' });
export type BackupScheduleState = z.output<typeof backupScheduleStateSchema>;
