/**
 * Forgetting an application (as `app remove NAME --confirm NAME`): a button, then the shared
 * confirmation naming what goes and what stays, enabled once the name is typed again. The API
 * refuses while the application has sites (`SLW_HAS_SITES`, shown in the dialog).
 */
import { useState } from 'react';
import { del } from '../api';
import { ConfirmDialog, TypeName } from '../ui/confirm';

export function ForgetApplication({ url, app, onForgotten }: { url: string; app: string; onForgotten(): void }) {
  const [open, setOpen] = useState(false);
  const [confirm, setConfirm] = useState('');
  const close = () => (setOpen(false), setConfirm(''));
  return (
    <section className="panel-section" aria-labelledby="forget-title">
      <h2 id="forget-title">Forget this application</h2>
      <p className="muted">Its version list, notifications, upstream hook and herd upgrades go; its project, images and environments stay. Remove its sites first.</p>
      <button type="button" className="danger" onClick={() => setOpen(true)}>
        Forget {app}…
      </button>
      {open && (
        <ConfirmDialog title={`Forget application ${app}?`} confirm={`Forget ${app}`} busy="Forgetting…" disabled={confirm !== app} action={() => del(url)} onDone={onForgotten} onClose={close}>
          <p>
            Slipway forgets {app}: its version list, its notifications and their webhook, its upstream hook and its herd upgrades. Its project, images and environments stay.
          </p>
          <TypeName id="app-confirm" kind="application" name={app} value={confirm} onChange={setConfirm} />
        </ConfirmDialog>
      )}
    </section>
  );
}
