/**
 * One attachment's backup schedule, inside its Backups card (and, through ScheduleEditor, a
 * volume's: VolumeBackupSchedule.tsx): the cron (UTC) and keep, the next
 * slot, and the last scheduled backup's outcome (ok with the backup, the error, or running).
 * Developers and above set or remove it (a form with cron and keep); the API decides: a bad cron
 * comes back as SLW_VALIDATION with the field it is about, a keep that may remove backups set by a
 * developer as SLW_FORBIDDEN (admins only), and both are shown with their code.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { del, get, put, type ApiError } from '../api';
import { mayCreate } from '../access';
import { ago } from '../format';
import type { AttachmentInfo, BackupScheduleBody, BackupScheduleInfo, BackupScheduleState } from '../types';
import { Badge, ErrorNote } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { isScheduleChange, useServiceChanges } from '../ui/live';
import { useWorkspace } from '../ui/workspace';

/** A slot's time in UTC (its local time on hover). */
export const at = (iso: string) => (
  <time dateTime={iso} title={new Date(iso).toLocaleString()}>
    {new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC
  </time>
);

/** "ok: backup sbk_…", "failed: SLW_…", "running since …", or "none yet". */
export function LastOutcome({ last }: { last: NonNullable<BackupScheduleState['schedule']>['last'] }) {
  if (!last) return <span className="muted">none yet</span>;
  if (last.status === 'ok') return (<><Badge tone="ok">ok</Badge> slot {at(last.slot)}: backup <code>{last.backup}</code></>);
  if (last.status === 'running') return (<><Badge tone="info">running</Badge> since {ago(last.startedAt)} (slot {at(last.slot)})</>);
  return (<><Badge tone="bad">failed</Badge> slot {at(last.slot)}: <span data-schedule-error>{last.error}</span></>);
}

export function BackupSchedule({ ws, url: attachmentsUrl, attachment: a }: { ws: string; url: string; attachment: AttachmentInfo }) {
  const url = `${attachmentsUrl}/${encodeURIComponent(a.service)}/backup-schedule`;
  const state = useLoad(() => get<BackupScheduleState>(url, { as: a.as ?? undefined }), `${url}?as=${a.as ?? ''}`);
  const role = useWorkspace(ws).data?.role;
  useServiceChanges(state.reload, (c) => c.name === a.service && c.project === a.project && c.environment === a.environment && isScheduleChange(c));
  const label = `${a.service}${a.as ? ` as ${a.as}` : ''}`;
  return (
    <ScheduleEditor
      label={label}
      attrs={{ 'data-schedule': label }}
      schedule={state.data?.schedule ?? null}
      loadError={state.error}
      none="No backup schedule: backups are made by hand and before upgrades only."
      editable={mayCreate(role) && a.state === 'attached'}
      save={(cron, keep) => put<BackupScheduleState>(url, { ...(a.as ? { as: a.as } : {}), cron, keep } satisfies BackupScheduleBody)}
      remove={() => del<BackupScheduleState>(url, { as: a.as ?? undefined })}
      reload={state.reload}
    />
  );
}

interface EditorProps {
  /** What the schedule is of, in labels and button names ("pg", "volume data"). */
  label: string;
  attrs: Record<string, string>;
  schedule: BackupScheduleInfo | null;
  loadError: ApiError | null;
  /** Said when there is no schedule. */
  none: string;
  editable: boolean;
  save(cron: string, keep: number | null): Promise<unknown>;
  remove(): Promise<unknown>;
  reload(): void;
}

/**
 * A backup schedule shown and edited (an attachment's, a volume's): the summary, and for those who
 * may, a form with cron and keep, Save and Remove; refusals shown with their code.
 */
export function ScheduleEditor({ label, attrs, schedule: s, loadError, none, editable, save: saveSchedule, remove: removeSchedule, reload }: EditorProps) {
  const save = useAction();
  const remove = useAction();
  const [cron, setCron] = useState('');
  const [keep, setKeep] = useState('');
  // The form starts from what is stored (and follows it when it changes elsewhere).
  useEffect(() => {
    setCron(s?.cron ?? '0 3 * * *');
    setKeep(s?.keep === null || s?.keep === undefined ? '' : String(s.keep));
  }, [s?.cron, s?.keep]);
  const id = `schedule-${label.replace(/[^A-Za-z0-9]+/g, '-')}`;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    remove.clear();
    if (await save.run(() => saveSchedule(cron, keep.trim() === '' ? null : Number(keep)))) reload();
  };
  const onRemove = async () => {
    save.clear();
    if (await remove.run(removeSchedule)) reload();
  };
  return (
    <div className="schedule" {...attrs}>
      <p className="small">
        {s ? (
          <>
            Scheduled: <code>{s.cron}</code> (UTC), {s.keep === null ? 'every scheduled backup kept' : `the newest ${s.keep} scheduled backups kept`}. Next: {s.nextAt ? at(s.nextAt) : 'never (the expression matches no minute)'}. Last: <LastOutcome last={s.last} />
          </>
        ) : (
          <span className="muted">{none}</span>
        )}
      </p>
      <ErrorNote error={loadError} />
      {editable && (
        <form onSubmit={(e) => void submit(e)} className="form inline" aria-label={`Backup schedule of ${label}`} autoComplete="off">
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
            <span className="sr-only"> of {label}</span>
          </button>{' '}
          {s && (
            <button type="button" className="ghost danger" disabled={remove.busy} onClick={() => void onRemove()}>
              Remove schedule<span className="sr-only"> of {label}</span>
            </button>
          )}
        </form>
      )}
      <ErrorNote error={save.error} />
      <ErrorNote error={remove.error} />
    </div>
  );
}
