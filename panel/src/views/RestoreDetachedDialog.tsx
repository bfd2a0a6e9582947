/**
 * Restoring a backup whose attachment is gone (detached, or its environment deleted) into one of
 * the service's current attachments, chosen in the dialog (`service restore --from-detached`):
 * all of the chosen attachment's data is replaced by the backup's, moved into its own database,
 * key prefix or vhost (owned by its own role or user). The server checks the file against the
 * attachment it was made of first (a corrupt file is refused, SLW_BACKUP_INVALID, and changes
 * nothing); restoring needs an admin or owner (SLW_FORBIDDEN otherwise, shown in the dialog).
 */
import { useState } from 'react';
import { path, post } from '../api';
import { ago, formatBytes } from '../format';
import type { AttachmentInfo, RestoreBody, RestoreResult, ServiceBackupInfo } from '../types';
import { ConfirmDialog } from '../ui/confirm';

const what: Record<ServiceBackupInfo['kind'], string> = {
  postgres: 'every table and row of its database',
  mysql: 'every table and row of its database',
  redis: 'every key under its prefix',
  rabbitmq: 'the queues, exchanges and bindings of its vhost',
  custom: "the service's data",
};

const keyOf = (a: AttachmentInfo) => `${a.project}/${a.environment}/${a.as ?? ''}`;
const nameOf = (a: AttachmentInfo) => `${a.project} / ${a.environment}${a.as ? ` as ${a.as}` : ''}`;
/** Where a backup was taken, as recorded then. */
export const originOf = (b: Pick<ServiceBackupInfo, 'project' | 'environment' | 'as'>) => `${b.project ?? '?'} / ${b.environment ?? '?'}${b.as ? ` as ${b.as}` : ''}`;

/** The attachments a backup of `b`'s origin most likely belongs in first: the same environment and prefix, then the rest. */
function ordered(attachments: AttachmentInfo[], b: ServiceBackupInfo): AttachmentInfo[] {
  const same = (a: AttachmentInfo) => a.project === b.project && a.environment === b.environment && (a.as ?? null) === (b.as ?? null);
  return [...attachments.filter(same), ...attachments.filter((a) => !same(a))];
}

export function RestoreDetachedDialog({ ws, service, backup: b, attachments, onClose, onRestored }: { ws: string; service: string; backup: ServiceBackupInfo; attachments: AttachmentInfo[]; onClose(): void; onRestored(r: RestoreResult, into: string): void }) {
  const choices = ordered(
    attachments.filter((a) => a.state === 'attached'),
    b,
  );
  const [chosen, setChosen] = useState(choices[0] ? keyOf(choices[0]) : '');
  const into = choices.find((a) => keyOf(a) === chosen);
  const action = () => {
    if (!into) throw new Error('choose an attachment to restore into');
    const body: RestoreBody = { ...(into.as ? { as: into.as } : {}), fromDetached: true };
    return post<RestoreResult>(path('workspaces', ws, 'projects', into.project, 'environments', into.environment, 'attachments', service, 'backups', b.id, 'restore'), body);
  };
  return (
    <ConfirmDialog title={`Restore a backup of ${service} into an attachment?`} confirm="Restore into this attachment" busy="Restoring…" disabled={!into} action={action} onDone={(r) => onRestored(r, into ? nameOf(into) : '')} onClose={onClose}>
      <p>
        The backup of {originOf(b)} taken {ago(b.createdAt)} ({new Date(b.createdAt).toLocaleString()}, {formatBytes(b.size)}) is {b.attachment === 'detached' ? 'of an attachment that is gone' : 'of an attachment being detached'}. Its data is moved into the attachment you choose, with that attachment's own credentials.
      </p>
      {choices.length === 0 ? (
        <p className="muted">{service} is not attached to any environment: attach it (an environment's Services tab), then restore into the new attachment.</p>
      ) : (
        <div>
          <label htmlFor="restore-into">Restore into</label>
          <select id="restore-into" value={chosen} onChange={(e) => setChosen(e.target.value)}>
            {choices.map((a) => (
              <option key={keyOf(a)} value={keyOf(a)}>
                {nameOf(a)} ({a.resource})
              </option>
            ))}
          </select>
        </div>
      )}
      {into && (
        <p>
          This overwrites {what[b.kind]} <code>{into.resource}</code> in {nameOf(into)} with the backup's. Anything in it now is lost.
        </p>
      )}
    </ConfirmDialog>
  );
}
