/**
 * Detaching a service, confirmed in a dialog: the data is kept unless "drop data" is ticked,
 * which then asks for the service name typed again (as `--drop-data --confirm NAME` does). A custom
 * service's attachment has no data of its own: nothing to drop.
 */
import { useState, type FormEvent } from 'react';
import { post } from '../api';
import type { AttachmentChange, AttachmentInfo, DetachBody } from '../types';
import { ErrorNote } from '../ui/bits';
import { Dialog } from '../ui/dialog';
import { useAction } from '../ui/hooks';

export function DetachDialog({ url, attachment: a, onClose, onDetached }: { url: string; attachment: AttachmentInfo; onClose(): void; onDetached(change: AttachmentChange, dropData: boolean): void }) {
  const [dropData, setDropData] = useState(false);
  const [confirm, setConfirm] = useState('');
  const action = useAction();
  const ready = !dropData || confirm === a.service;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: DetachBody = { ...(a.as ? { as: a.as } : {}), ...(dropData ? { dropData: true, confirm } : {}) };
    const r = await action.run(() => post<AttachmentChange>(`${url}/${encodeURIComponent(a.service)}/detach`, body));
    if (r) onDetached(r, dropData);
  };
  return (
    <Dialog title={`Detach ${a.service} from ${a.environment}?`} onClose={onClose}>
      <form onSubmit={submit} className="form">
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
        {dropData && (
          <div>
            <label htmlFor="detach-confirm">Type the service name ({a.service}) to confirm</label>
            <input id="detach-confirm" value={confirm} onChange={(e) => setConfirm(e.target.value)} spellCheck={false} autoComplete="off" required />
          </div>
        )}
        <ErrorNote error={action.error} />
        <div className="actions">
          <button type="submit" className="danger" disabled={action.busy || !ready}>
            {dropData ? 'Detach and drop data' : 'Detach'}
          </button>
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
