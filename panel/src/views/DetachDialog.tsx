/**
 * Detaching a service, confirmed in a dialog: the data is kept unless "drop data" is ticked,
 * which then asks for the service name typed again (as `--drop-data --confirm NAME` does). A custom
 * service's attachment has no data of its own: nothing to drop.
 */
import { useState } from 'react';
import { post } from '../api';
import type { AttachmentChange, AttachmentInfo, DetachBody } from '../types';
import { ConfirmDialog, TypeName } from '../ui/confirm';

export function DetachDialog({ url, attachment: a, onClose, onDetached }: { url: string; attachment: AttachmentInfo; onClose(): void; onDetached(change: AttachmentChange, dropData: boolean): void }) {
  const [dropData, setDropData] = useState(false);
  const [confirm, setConfirm] = useState('');
  const ready = !dropData || confirm === a.service;
  const detach = () => {
    const body: DetachBody = { ...(a.as ? { as: a.as } : {}), ...(dropData ? { dropData: true, confirm } : {}) };
    return post<AttachmentChange>(`${url}/${encodeURIComponent(a.service)}/detach`, body);
  };
  return (
    <ConfirmDialog title={`Detach ${a.service} from ${a.environment}?`} confirm={dropData ? 'Detach and drop data' : 'Detach'} disabled={!ready} action={detach} onDone={(r) => onDetached(r, dropData)} onClose={onClose}>
      {a.kind === 'custom' ? (
        <p>A release rolls without {a.variables.join(', ')}. The custom service and its data stay as they are (it has no per-attachment data to drop).</p>
      ) : (
        <>
          <p>
            A release rolls without {a.variables.join(', ')}; then the credentials are revoked. The data in <code>{a.resource}</code> stays on the server unless you drop it.
          </p>
          <label className="check">
            <input type="checkbox" checked={dropData} onChange={(e) => (setDropData(e.target.checked), setConfirm(''))} /> Drop the data too ({a.resource}), for good
          </label>
        </>
      )}
      {dropData && <TypeName id="detach-confirm" kind="service" name={a.service} value={confirm} onChange={setConfirm} />}
    </ConfirmDialog>
  );
}
