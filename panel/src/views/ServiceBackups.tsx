/**
 * Every backup of a service (newest first), also those whose attachment is gone — detached, or
 * its environment deleted — which no environment's Services tab shows any more: where each was
 * taken (project / environment / prefix, as recorded then), whether its attachment is still
 * there, its size, and **Remove** behind a confirmation (admins and owners; SLW_BACKUP_IN_USE
 * while an unfinished upgrade may still restore it, which the row already says), and, for a
 * backup whose attachment is gone, **Restore into…** one of the service's current attachments
 * (RestoreDetachedDialog). "Only detached" narrows the list to the backups nothing else reaches.
 */
import { useState } from 'react';
import { del, get } from '../api';
import { ago, formatBytes } from '../format';
import type { AttachmentInfo, ServiceBackupInfo, ServiceBackupList } from '../types';
import { Badge, ErrorNote, Loading, Table } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { useLoad } from '../ui/hooks';
import { isBackupChange, useServiceChanges } from '../ui/live';
import { RestoreDetachedDialog, originOf as origin } from './RestoreDetachedDialog';

const tones = { attached: 'ok', detaching: 'warn', detached: 'muted' } as const;

export function ServiceBackups({ ws, url: serviceUrl, name, attachments }: { ws: string; url: string; name: string; attachments: AttachmentInfo[] }) {
  const url = `${serviceUrl}/backups`;
  const [detachedOnly, setDetachedOnly] = useState(false);
  const list = useLoad(() => get<ServiceBackupList>(url, { detached: detachedOnly ? 'true' : undefined }), `${url}?detached=${detachedOnly}`);
  const [removing, setRemoving] = useState<ServiceBackupInfo | null>(null);
  const [removed, setRemoved] = useState<ServiceBackupInfo | null>(null);
  const [restoring, setRestoring] = useState<ServiceBackupInfo | null>(null);
  const [restored, setRestored] = useState<{ backup: ServiceBackupInfo; into: string; seconds: string } | null>(null);
  // A backup taken, removed or restored anywhere (an environment's tab, the CLI, an upgrade, retention).
  useServiceChanges(list.reload, (c) => c.name === name && (isBackupChange(c) || c.change === 'detached'));
  const backups = list.data?.backups ?? [];
  const gone = backups.filter((b) => b.attachment === 'detached');
  return (
    <section className="card backups" aria-label={`All backups of ${name}`} data-service-backups={name}>
      <div className="heading-row">
        <h2>Backups</h2>
        <label className="check">
          <input type="checkbox" checked={detachedOnly} onChange={(e) => setDetachedOnly(e.target.checked)} /> Only those whose attachment is gone
        </label>
      </div>
      <p className="muted small">
        Every backup of {name}, also of attachments that were detached or whose environment was deleted (their files stay in the server's data directory until removed here).
        {list.data && (
          <>
            {' '}
            {backups.length} backup(s), {formatBytes(list.data.totalBytes)}
            {!detachedOnly && gone.length > 0 && <>; {gone.length} of attachments that are gone ({formatBytes(gone.reduce((n, b) => n + b.size, 0))})</>}.
          </>
        )}
      </p>
      {restored && (
        <p role="status" className="note">
          Restored the backup of {origin(restored.backup)} taken {new Date(restored.backup.createdAt).toLocaleString()} into {restored.into} in {restored.seconds} s.
        </p>
      )}
      {removed && (
        <p role="status" className="note">
          Removed the backup of {origin(removed)} taken {new Date(removed.createdAt).toLocaleString()} ({formatBytes(removed.size)}).
        </p>
      )}
      <ErrorNote error={list.error} />
      {!list.data && !list.error && <Loading what="backups" />}
      {list.data && backups.length === 0 && <p className="muted">{detachedOnly ? 'No backups of attachments that are gone.' : 'No backups yet: back up an attachment from its environment’s Services tab.'}</p>}
      {backups.length > 0 && (
        <Table caption={`Backups of ${name}, newest first`} columns={['Taken in', 'Attachment', 'Taken', 'Size', 'Release', 'By', '']}>
          {backups.map((b) => (
            <tr key={b.id} data-backup={b.id} data-attachment-state={b.attachment}>
              <td>
                {origin(b)}
                {b.resource && (
                  <>
                    {' '}
                    <code className="muted small">{b.resource}</code>
                  </>
                )}
              </td>
              <td>
                <Badge tone={tones[b.attachment]}>{b.attachment}</Badge>
              </td>
              <td>
                <time dateTime={b.createdAt} title={new Date(b.createdAt).toLocaleString()}>
                  {ago(b.createdAt)}
                </time>
              </td>
              <td>{formatBytes(b.size)}</td>
              <td>{b.release !== null ? `#${b.release}` : '—'}</td>
              <td>{b.createdBy ?? '—'}</td>
              <td className="actions">
                {b.attachment !== 'attached' && (
                  <button type="button" className="ghost" onClick={() => setRestoring(b)}>
                    Restore into…<span className="sr-only"> the backup of {origin(b)} taken {b.createdAt}</span>
                  </button>
                )}
                {b.neededBy ? (
                  <span className="muted small" title={`Kept for ${b.neededBy}`}>
                    kept for an upgrade
                  </span>
                ) : (
                  <button type="button" className="ghost danger" onClick={() => setRemoving(b)}>
                    Remove<span className="sr-only"> the backup of {origin(b)} taken {b.createdAt}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      {restoring && (
        <RestoreDetachedDialog
          ws={ws}
          service={name}
          backup={restoring}
          attachments={attachments}
          onClose={() => setRestoring(null)}
          onRestored={(r, into) => {
            setRestored({ backup: restoring, into, seconds: (r.durationMs / 1000).toFixed(1) });
            setRemoved(null);
            setRestoring(null);
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove a backup of ${name}?`}
          confirm="Remove backup"
          busy="Removing…"
          action={() => del<{ deleted: string }>(`${url}/${encodeURIComponent(removing.id)}`)}
          onClose={() => setRemoving(null)}
          onDone={() => {
            setRemoved(removing);
            setRestored(null);
            setRemoving(null);
            list.reload();
          }}
        >
          <p>
            The backup of {origin(removing)} taken {new Date(removing.createdAt).toLocaleString()} ({formatBytes(removing.size)}, sha256 <code>{removing.sha256.slice(0, 12)}</code>) and its file are deleted: it can no longer be restored.
            {removing.attachment === 'detached' && ' Its attachment is gone, so this is the only place it can be removed.'}
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
