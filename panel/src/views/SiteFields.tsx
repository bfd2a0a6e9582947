/** A site's policy and maintenance window fields, the same in the Create form and the Edit dialog. */
import type { Site } from '../types';

export type Policy = Site['policy'];

export function PolicyField({ id, value, onChange }: { id: string; value: Policy; onChange(policy: Policy): void }) {
  return (
    <div>
      <label htmlFor={id}>Policy</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as Policy)} aria-describedby={`${id}-hint`}>
        <option value="manual">manual</option>
        <option value="continuous">continuous</option>
        <option value="staged">staged</option>
      </select>
      <div id={`${id}-hint`} className="muted small">
        manual: upgraded by hand or a herd upgrade; continuous: as soon as its channel has a newer latest; staged: a clone on the new version, approval, then the cut-over
      </div>
    </div>
  );
}

/** The window as five cron fields in UTC; empty for none (any time). The server checks it (SLW_VALIDATION names the field). */
export function WindowField({ id, value, onChange }: { id: string; value: string; onChange(window: string): void }) {
  return (
    <div>
      <label htmlFor={id}>Maintenance window</label>
      <input id={id} value={value} onChange={(e) => onChange(e.target.value)} spellCheck={false} placeholder="any time" aria-describedby={`${id}-hint`} />
      <div id={`${id}-hint`} className="muted small">
        cron (UTC) of the minutes an automatic upgrade may start it in, e.g. <code>* 2-4 * * sun</code>; empty: any time
      </div>
    </div>
  );
}
