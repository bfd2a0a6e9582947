/**
 * A volume's backup schedule, inside its Backups card, as `slipway volume backup-schedule` sets
 * it: the cron (UTC) and keep, the next slot, and the last scheduled backup's outcome. Developers
 * and above set or remove it; the API decides: a bad cron comes back as SLW_VALIDATION, a keep
 * that may remove backups set by a developer as SLW_FORBIDDEN (admins only), both shown with
 * their code. It reads again when the schedule changes elsewhere or a slot's outcome is stored.
 */
import { del, get, put } from '../api';
import { mayCreate } from '../access';
import type { VolumeBackupScheduleBody, VolumeBackupScheduleState, Workspace } from '../types';
import { useLoad } from '../ui/hooks';
import { useVolumeChanges } from '../ui/live';
import { ScheduleEditor } from './BackupSchedule';

interface Props {
  /** The volume's backups URL (…/volumes/NAME/backups); the schedule is beside it. */
  backupsUrl: string;
  project: string;
  env: string;
  volume: string;
  role: Workspace['role'] | undefined;
}

export function VolumeBackupSchedule({ backupsUrl, project, env, volume, role }: Props) {
  const url = backupsUrl.replace(/\/backups$/, '/backup-schedule');
  const state = useLoad(() => get<VolumeBackupScheduleState>(url), url);
  useVolumeChanges(
    () => state.reload(),
    (c) => c.project === project && c.environment === env && c.volume === volume && (c.change === 'backup-scheduled' || c.change === 'backup-failed'),
  );
  return (
    <ScheduleEditor
      label={`volume ${volume}`}
      attrs={{ 'data-volume-schedule': volume }}
      schedule={state.data?.schedule ?? null}
      loadError={state.error}
      none="No backup schedule: backups are made by hand, before herd upgrades and on moves only."
      editable={mayCreate(role)}
      save={(cron, keep) => put<VolumeBackupScheduleState>(url, { cron, keep } satisfies VolumeBackupScheduleBody)}
      remove={() => del<VolumeBackupScheduleState>(url)}
      reload={state.reload}
    />
  );
}
