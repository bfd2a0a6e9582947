/**
 * Removing a service, confirmed in a dialog (as `service remove` does): an adopted server is left
 * as it is; a provisioned one stops and its data volume stays on the target unless "also delete
 * its data volume" is ticked, which then asks for the service name typed again (as
 * `--drop-data --confirm NAME`). Its backups go with it only when "also remove its backups" is
 * ticked (`--drop-backups`). The API refuses while the service is attached, or has backups that
 * are not to go (its code shown in the dialog, which stays open).
 */
import { useState } from 'react';
import { del } from '../api';
import type { RemovedService, ServiceInfo } from '../types';
import { ConfirmDialog, TypeName } from '../ui/confirm';

export function RemoveServiceDialog({ url, service: s, onClose, onRemoved }: { url: string; service: ServiceInfo; onClose(): void; onRemoved(result: RemovedService): void }) {
  const [dropData, setDropData] = useState(false);
  const [confirm, setConfirm] = useState('');
  const [dropBackups, setDropBackups] = useState(false);
  const volume = s.provisioned?.volume ?? null;
  const ready = !dropData || confirm === s.name;
  const remove = () => del<RemovedService>(url, { ...(dropData ? { dropData: 'true', confirm } : {}), ...(dropBackups ? { dropBackups: 'true' } : {}) });
  return (
    <ConfirmDialog title={`Remove service ${s.name}?`} confirm={dropData ? 'Remove and delete the data' : 'Remove service'} busy="Removing…" disabled={!ready} action={remove} onDone={onRemoved} onClose={onClose}>
      {!s.provisioned ? (
        <p>Slipway forgets the {s.kind} server at <code>{s.address}</code> and its admin credentials; the server and its data are left as they are.</p>
      ) : volume ? (
        <>
          <p>
            Its container stops and is removed. Its data volume <code>{volume}</code> stays on {s.provisioned.placement} unless you delete it.
          </p>
          <label className="check">
            <input type="checkbox" checked={dropData} onChange={(e) => (setDropData(e.target.checked), setConfirm(''))} /> Also delete its data volume ({volume}), for good
          </label>
        </>
      ) : (
        <p>Its container stops and is removed; it has no data volume.</p>
      )}
      <label className="check">
        <input type="checkbox" checked={dropBackups} onChange={(e) => setDropBackups(e.target.checked)} /> Also remove its backups, files too (without this, a service that has backups is not removed: nothing could reach them once it is gone)
      </label>
      <p className="muted small">A service still attached to an environment cannot be removed: detach it first.</p>
      {dropData && <TypeName id="remove-service-confirm" kind="service" name={s.name} value={confirm} onChange={setConfirm} />}
    </ConfirmDialog>
  );
}
