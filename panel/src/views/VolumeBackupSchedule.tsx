/**
 * A volume's backup schedule, inside its Backups card, as `slipway volume backup-schedule` sets
 * it: the cron (UTC) and keep, the next slot, and the last scheduled backup's outcome. Developers
 * and above set or remove it; the API decides: a bad cron comes back as SLW_VALIDATION, a keep
 * that may remove backups set by a developer as SLW_FORBIDDEN (admins only), both shown with
 * their code. It reads again when the schedule changes elsewhere or a slot's outcome is stored.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { del, get, put } from '../api';
import { mayCreate } from '../access';
import type { VolumeBackupScheduleBody, VolumeBackupScheduleState, Workspace } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { useVolumeChanges } from '../ui/live';
import { LastOutcome, at } from './BackupSchedule';

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
  const save = useAction();
  const remove = useAction();
  const s = state.data?.schedule ?? null;
  const [cron, setCron] = useState('');
  const [keep, setKeep] = useState('');
  // The form starts from what is stored (and follows it when it changes elsewhere).
  useEffect(() => {
    setCron(s?.cron ?? '0 3 * * *');
    setKeep(s?.keep === null || s?.keep === undefined ? '' : String(s.keep));
  }, [s?.cron, s?.keep]);
  useVolumeChanges(
    () => state.reload(),
    (c) => c.project === project && c.environment === env && c.volume === volume && (c.change === 'backup-scheduled' || c.change === 'backup-failed'),
  );
  const id = `volume-schedule-${volume}`;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    remove.clear();
    const body: VolumeBackupScheduleBody = { cron, keep: keep.trim() === '' ? null : Number(keep) };
    if (await save.run(() => put<VolumeBackupScheduleState>(url, body))) state.reload();
  };
  const onRemove = async () => {
    save.clear();
    if (await remove.run(() => del<VolumeBackupScheduleState>(url))) state.reload();
  };
  return (
    <div className="schedule" data-volume-schedule={volume}>
      <p className="small">
        {s ? (
          <>
            Scheduled: <code>{s.cron}</code> (UTC), {s.keep === null ? 'every scheduled backup kept' : `the newest ${s.keep} scheduled backups kept`}. Next: {s.nextAt ? at(s.nextAt) : 'never (the expression matches no minute)'}. Last: <LastOutcome last={s.last} />
          </>
        ) : (
          <span className="muted">No backup schedule: backups are made by hand, before herd upgrades and on moves only.</span>
        )}
      </p>
      <ErrorNote error={state.error} />
      {mayCreate(role) && (
        <form onSubmit={(e) => void submit(e)} className="form inline" aria-label={`Backup schedule of volume ${volume}`} autoComplete="off">
          <div className="fields">
            <div>
              <label htmlFor={`${id}-cron`}>Cron (minute hour day month weekday, UTC)</label>
              <input id={`${id}-cron`} value={cron} onChange={(e) => setCron(e.target.value)} required spellCheck={false} placeholder="0 3 * * *" />
            </div>
            <div>
              <label htmlFor={`${id}-keep`}>Keep the newest (empty: every one; admins)</label>
              <input id={`${id}-keep`} type="number" min={1} max={1000} value={keep} onChange={(e) => setKeep(e.target.value)} placeholder="every one" />
            </div>
          </div>
          <button type="submit" disabled={save.busy || cron.trim() === ''}>
            {save.busy ? 'Saving…' : s ? 'Save schedule' : 'Schedule backups'}
            <span className="sr-only"> of volume {volume}</span>
          </button>{' '}
          {s && (
            <button type="button" className="ghost danger" disabled={remove.busy} onClick={() => void onRemove()}>
              Remove schedule<span className="sr-only"> of volume {volume}</span>
            </button>
          )}
        </form>
      )}
      <ErrorNote error={save.error} />
      <ErrorNote error={remove.error} />
    </div>
  );
}
