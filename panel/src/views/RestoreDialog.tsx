/**
 * Restoring a backup, confirmed in a dialog that names what it overwrites: all of the
 * attachment's data (its database, the keys under its prefix, or its vhost definitions) is
 * replaced by the backup's; whatever was written since is lost. The server checks the file
 * first (a corrupt or foreign backup is refused, SLW_BACKUP_INVALID, and changes nothing).
 */
import { post } from '../api';
import { ago, formatBytes } from '../format';
import type { AttachmentInfo, BackupBody, BackupInfo, RestoreResult } from '../types';
import { ConfirmDialog } from '../ui/confirm';

const what: Record<AttachmentInfo['kind'], string> = {
  postgres: 'every table and row of the database',
  mysql: 'every table and row of the database',
  redis: 'every key under the prefix',
  rabbitmq: 'the queues, exchanges and bindings of the vhost',
  custom: "the service's data (custom services have no backups)",
};

export function RestoreDialog({ url, attachment: a, backup: b, onClose, onRestored }: { url: string; attachment: AttachmentInfo; backup: BackupInfo; onClose(): void; onRestored(r: RestoreResult): void }) {
  const body: BackupBody = a.as ? { as: a.as } : {};
  return (
    <ConfirmDialog title={`Restore ${a.service} in ${a.environment}?`} confirm="Restore" busy="Restoring…" action={() => post<RestoreResult>(`${url}/${encodeURIComponent(b.id)}/restore`, body)} onDone={onRestored} onClose={onClose}>
      <p>
        This overwrites {what[a.kind]} <code>{a.resource}</code> on {a.service} with the backup taken {ago(b.createdAt)} ({new Date(b.createdAt).toLocaleString()}, {formatBytes(b.size)}
        {b.release !== null ? `, release #${b.release}` : ''}). Anything written since then is lost.
      </p>
    </ConfirmDialog>
  );
}
