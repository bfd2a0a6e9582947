/**
 * Editing a site as `slipway site set` does: its labels (typed as `key=value` pairs: a new pair
 * adds a label, a changed value changes it, a deleted pair removes it), channel, policy and
 * maintenance window (empty: none). Only what changed is sent, and said before it is; the
 * server's refusal (a bad label or cron, SLW_*) is shown in the dialog, which stays open.
 */
import { useState, type FormEvent } from 'react';
import { patch } from '../api';
import { describeChanges, siteChanges, siteForm, type SiteForm } from '../sites';
import type { Site } from '../types';
import { ErrorNote } from '../ui/bits';
import { Dialog } from '../ui/dialog';
import { useAction } from '../ui/hooks';
import { PolicyField, WindowField } from './SiteFields';

export function SiteEditDialog({ url, site, onClose, onSaved }: { url: string; site: Site; onClose(): void; onSaved(site: Site, labelsChanged: boolean): void }) {
  const [form, setForm] = useState<SiteForm>(() => siteForm(site));
  const set = (change: Partial<SiteForm>) => setForm((f) => ({ ...f, ...change }));
  const action = useAction();
  const body = siteChanges(site, form);
  const changes = describeChanges(body);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const r = await action.run(() => patch<Site>(url, body));
    if (r) onSaved(r, body.labels !== undefined);
  };
  return (
    <Dialog title={`Edit site ${site.name}`} onClose={onClose}>
      <form className="form" onSubmit={(e) => void save(e)} autoComplete="off">
        <div className="fields">
          <div className="wide">
            <label htmlFor="edit-site-labels">Labels</label>
            <input id="edit-site-labels" value={form.labels} onChange={(e) => set({ labels: e.target.value })} spellCheck={false} placeholder="no labels" aria-describedby="edit-site-labels-hint" />
            <div id="edit-site-labels-hint" className="muted small">
              key=value, commas or spaces between: add a pair, change a value, delete a pair to remove its label. Workloads see the change at their next deploy or job run.
            </div>
          </div>
          <div>
            <label htmlFor="edit-site-channel">Channel</label>
            <input id="edit-site-channel" value={form.channel} onChange={(e) => set({ channel: e.target.value })} spellCheck={false} />
          </div>
          <PolicyField id="edit-site-policy" value={form.policy} onChange={(policy) => set({ policy })} />
          <WindowField id="edit-site-window" value={form.window} onChange={(w) => set({ window: w })} />
        </div>
        <p className="muted" role="status" data-changes="">
          {changes.length === 0 ? 'Nothing changed yet.' : `To save: ${changes.join('; ')}.`}
        </p>
        <ErrorNote error={action.error} />
        <div className="actions">
          <button type="submit" disabled={action.busy || changes.length === 0}>
            {action.busy ? 'Saving…' : 'Save changes'}
          </button>
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
