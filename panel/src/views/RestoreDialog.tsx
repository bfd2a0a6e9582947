/**
 * Restoring a backup, confirmed in a dialog that names what it overwrites: all of the
 * attachment's data (its database, the keys under its prefix, or its vhost definitions) is
 * replaced by the backup's; whatever was written since is lost. The server checks the file
 * first (a corrupt or foreign backup is refused, SLW_BACKUP_INVALID, and changes nothing).
 */
import { post } from '../api';
import { ago, formatBytes } from '../format';
import type { AttachmentInfo, BackupBody, BackupInfo, RestoreResult } from '../types';
import { ErrorNote } from '../ui/bits';
import { Dialog } from '../ui/dialog';
import { useAction } from '../ui/hooks';

const what: Record<AttachmentInfo['kind'], string> = {
  postgres: 'every table and row of the database',
  mysql: 'every table and row of the database',
  redis: 'every key under the prefix',
  rabbitmq: 'the queues, exchanges and bindings of the vhost',
  custom: "the service's data (custom services have no backups)",
};

export function RestoreDialog({ url, attachment: a, backup: b, onClose, onRestored }: { url: string; attachment: AttachmentInfo; backup: BackupInfo; onClose(): void; onRestored(r: RestoreResult): void }) {
  const action = useAction();
  const restore = async () => {
    const body: BackupBody = a.as ? { as: a.as } : {};
    const r = await action.run(() => post<RestoreResult>(`${url}/${encodeURIComponent(b.id)}/restore`, body));
    if (r) onRestored(r);
  };
  return (
    <Dialog title={`Restore ${a.service} in ${a.environment}?`} onClose={onClose}>
      <div className="form">
        <p>
          This overwrites {what[a.kind]} <code>{a.resource}</code> on {a.service} with the backup taken {ago(b.createdAt)} ({new Date(b.createdAt).toLocaleString()}, {formatBytes(b.size)}
          {b.release !== null ? `, release #${b.release}` : ''}). Anything written since then is lost.
        </p>
        <ErrorNote error={action.error} />
        <div className="actions">
          <button type="button" className="danger" disabled={action.busy} onClick={() => void restore()}>
            {action.busy ? 'Restoring…' : 'Restore'}
          </button>
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
        </div>
      </div>
    </Dialog>
  );
}
