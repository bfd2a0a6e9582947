/**
 * Scheduled backups of a service attachment, pure: when the next slot of a schedule is, whether
 * a stored slot is due now, and what to do with slots missed while no server ran.
 *
 * A schedule is a cron expression (five fields, UTC: {@link parseCron}) and an optional `keep`
 * (how many of the attachment's scheduled backups stay). The store keeps the next slot
 * (`next_at`); a scheduler takes a due slot by moving `next_at` past it in one conditional write,
 * so each slot is taken at most once.
 *
 * Missed slots (the server was down, or every scheduler was busy): one catch-up backup for the
 * latest missed slot if it is less than an hour old, otherwise none — the schedule skips to its
 * next slot; several missed slots never make several backups ({@link decideSlot}, shared with
 * pipeline schedules).
 *
 * @module
 */
import { parseCron, slotAfter } from './cron.js';
import { SlipwayError } from './errors.js';

/** What made a backup: by hand (CLI, API, panel), a herd or service upgrade, or its attachment's schedule. */
export const backupTriggers = ['manual', 'upgrade', 'schedule'] as const;
export type BackupTrigger = (typeof backupTriggers)[number];

/** A stored trigger as the API shows it (anything unknown reads as made by hand). */
export function backupTrigger(stored: string): BackupTrigger {
  return (backupTriggers as readonly string[]).includes(stored) ? (stored as BackupTrigger) : 'manual';
}

/** The most scheduled backups a schedule may keep (`keep`). */
export const maxKeep = 1000;

/** A schedule as asked for: checked, with its first slot after `now`. */
export interface CheckedSchedule {
  cron: string;
  keep: number | null;
  nextAt: Date;
}

/**
 * Checks a schedule: the cron expression (SLW_VALIDATION naming the wrong field), a slot within
 * five years, and `keep` (1 to {@link maxKeep}, or null for every one).
 */
export function checkSchedule(cron: string, keep: number | null, now: Date): CheckedSchedule {
  const parsed = parseCron(cron);
  if (keep !== null && (!Number.isInteger(keep) || keep < 1 || keep > maxKeep)) throw new SlipwayError('SLW_VALIDATION', `keep must be a whole number from 1 to ${maxKeep} (the newest scheduled backups kept), or left out to keep every one; got ${keep}`);
  const nextAt = slotAfter(parsed, now);
  if (nextAt === null) throw new SlipwayError('SLW_VALIDATION', `cron expression '${cron}' matches no minute in the next five years (e.g. the 31st of a month that has 30 days); write one that does, e.g. '0 3 * * *' (every day at 03:00 UTC)`);
  return { cron: parsed.text.trim().split(/\s+/).join(' '), keep, nextAt };
}

/**
 * A change of a stored schedule (none stored: `stored` undefined): the keep it ends with (left
 * out: the stored one, none for a new schedule), checked; `removesMore` when that keep may remove
 * backups the stored one kept (a new keep, or a lower one), which needs whoever may remove
 * backups ({@link keepRefused} otherwise).
 */
export function checkScheduleChange(cron: string, keep: number | null | undefined, stored: number | null | undefined, now: Date): CheckedSchedule & { removesMore: boolean } {
  const before = stored ?? null;
  const checked = checkSchedule(cron, keep === undefined ? before : keep, now);
  return { ...checked, removesMore: checked.keep !== null && (before === null || checked.keep < before) };
}

/** SLW_FORBIDDEN for a keep that may remove backups, asked for by a role that may not remove them. */
export function keepRefused(role: string, keep: number): SlipwayError {
  return new SlipwayError('SLW_FORBIDDEN', `your role '${role}' cannot set keep ${keep}: a keep removes older scheduled backups, and removing backups needs 'admin' or above; leave --keep out (every scheduled backup stays) or ask a workspace admin`);
}
