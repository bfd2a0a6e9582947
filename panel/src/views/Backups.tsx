/**
 * One attachment's backups (newest first, kept in the server's data directory, each saying what
 * made it: manual, upgrade or schedule): its last backup, its backup schedule (BackupSchedule.tsx), **Back up** (says the new backup's size and time), and **Restore** and **Remove** on
 * each, behind a confirmation dialog. Refusals come with their code (SLW_FORBIDDEN: restoring and
 * removing need an admin; SLW_BACKUP_IN_USE: an unfinished upgrade may still restore it).
 */
import { useState } from 'react';
import { del, get, post } from '../api';
import { ago, duration, formatBytes } from '../format';
import type { AttachmentInfo, BackupBody, BackupInfo, BackupList, RestoreResult } from '../types';
import { ErrorNote, Loading, Table } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { useAction, useLoad } from '../ui/hooks';
import { isBackupChange, useServiceChanges } from '../ui/live';
import { BackupSchedule } from './BackupSchedule';
import { RestoreDialog } from './RestoreDialog';

const when = (iso: string) => (
  <time dateTime={iso} title={new Date(iso).toLocaleString()}>
    {ago(iso)}
  </time>
);

export function Backups({ ws, url: attachmentsUrl, attachment: a }: { ws: string; url: string; attachment: AttachmentInfo }) {
  const url = `${attachmentsUrl}/${encodeURIComponent(a.service)}/backups`;
  const key = `${url}?as=${a.as ?? ''}`;
  const list = useLoad(() => get<BackupList>(url, { as: a.as ?? undefined }), key);
  const backup = useAction();
  const [made, setMade] = useState<BackupInfo | null>(null);
  const [restoring, setRestoring] = useState<BackupInfo | null>(null);
  const [restored, setRestored] = useState<RestoreResult | null>(null);
  const [removing, setRemoving] = useState<BackupInfo | null>(null);
  const [removed, setRemoved] = useState<BackupInfo | null>(null);
  const label = `${a.service}${a.as ? ` as ${a.as}` : ''}`;
  const backups = list.data?.backups ?? [];
  const last = backups[0];
  // A backup taken or removed elsewhere (another tab, the CLI, an upgrade's backups).
  useServiceChanges(list.reload, (c) => c.name === a.service && c.project === a.project && c.environment === a.environment && isBackupChange(c));
  const onBackup = async () => {
    setRestored(null);
    const body: BackupBody = a.as ? { as: a.as } : {};
    const r = await backup.run(() => post<BackupInfo>(url, body));
    if (r) setMade(r);
    list.reload();
  };
  return (
    <section className="card backups" aria-label={`Backups of ${label}`} data-backups={label}>
      <div className="heading-row">
        <h3>Backups of {label}</h3>
        <button type="button" disabled={backup.busy || a.state !== 'attached'} onClick={() => void onBackup()}>
          {backup.busy ? 'Backing up…' : 'Back up'}
          <span className="sr-only"> {label}</span>
        </button>
      </div>
      <p className="muted small">
        Last backup: {last ? <>{when(last.createdAt)}, {formatBytes(last.size)}</> : 'none yet'}
      </p>
      <BackupSchedule ws={ws} url={attachmentsUrl} attachment={a} />
      <ErrorNote error={backup.error} />
      {made && (
        <p role="status" className="note">
          Backed up {label}: {formatBytes(made.size)} at {new Date(made.createdAt).toLocaleString()} (sha256 {made.sha256.slice(0, 12)}).
        </p>
      )}
      {restored && (
        <p role="status" className="note">
          Restored {label} from the backup of {new Date(restored.backup.createdAt).toLocaleString()} in {duration(restored.durationMs)}.
        </p>
      )}
      {removed && (
        <p role="status" className="note">
          Removed the backup of {label} taken {new Date(removed.createdAt).toLocaleString()} ({formatBytes(removed.size)}).
        </p>
      )}
      <ErrorNote error={list.error} />
      {!list.data && !list.error && <Loading what="backups" />}
      {backups.length > 0 && (
        <Table caption={`Backups of ${label}, newest first`} columns={['Taken', 'Size', 'SHA-256', 'Release', 'Made by', 'By', '']}>
          {backups.map((b) => (
            <tr key={b.id} data-backup={b.id}>
              <td>{when(b.createdAt)}</td>
              <td>{formatBytes(b.size)}</td>
              <td>
                <code title={b.sha256}>{b.sha256.slice(0, 12)}</code>
              </td>
              <td>{b.release !== null ? `#${b.release}` : '—'}</td>
              <td>{b.trigger}</td>
              <td>{b.createdBy ?? '—'}</td>
              <td className="actions">
                <button type="button" className="ghost danger" onClick={() => setRestoring(b)}>
                  Restore<span className="sr-only"> this backup</span>
                </button>
                <button type="button" className="ghost danger" onClick={() => setRemoving(b)}>
                  Remove<span className="sr-only"> this backup</span>
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      {restoring && (
        <RestoreDialog
          url={url}
          attachment={a}
          backup={restoring}
          onClose={() => setRestoring(null)}
          onRestored={(r) => {
            setRestoring(null);
            setMade(null);
            setRestored(r);
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove a backup of ${label}?`}
          confirm="Remove backup"
          busy="Removing…"
          action={() => del<{ deleted: string }>(`${url}/${encodeURIComponent(removing.id)}`, { as: a.as ?? undefined })}
          onClose={() => setRemoving(null)}
          onDone={() => {
            setRemoved(removing);
            setRemoving(null);
            setMade(null);
            list.reload();
          }}
        >
          <p>
            The backup of {label} taken {new Date(removing.createdAt).toLocaleString()} ({formatBytes(removing.size)}, sha256 <code>{removing.sha256.slice(0, 12)}</code>) and its file are deleted: it can no longer be restored.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
