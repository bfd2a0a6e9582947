/**
 * How an application's automatic upgrades move (its sites with the continuous policy): canaries,
 * batch, parallel, bake and failure budget, as `slipway app set --continuous-…` sets them; the
 * server checks each value (an SLW_VALIDATION names the option) and stores nothing on a refusal.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { patch } from '../api';
import type { Application, UpdateApplicationAnswer, UpdateApplicationBody } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';

type Options = Application['continuous'];

const fields = [
  ['canary', 'Canaries', 'sites upgraded alone first'],
  ['batch', 'Batch', 'sites per wave after them: 5 or 25%'],
  ['parallel', 'At once', 'sites upgraded at the same time'],
  ['bake', 'Bake', "each site's bake after its switch: 30s, 2m; 0 for none"],
  ['failureBudget', 'Failure budget', 'failures tolerated (5 or 10%); one more halts'],
] as const;
type Field = (typeof fields)[number][0];

const draftOf = (c: Options): Record<Field, string> => ({ canary: String(c.canary), batch: c.batch, parallel: String(c.parallel), bake: `${c.bakeSeconds}s`, failureBudget: c.failureBudget });

export function AppContinuous({ url, options, onChanged }: { url: string; options: Options; onChanged(a: Application): void }) {
  const [draft, setDraft] = useState(() => draftOf(options));
  const [saved, setSaved] = useState(false);
  const action = useAction();
  useEffect(() => setDraft(draftOf(options)), [options]);
  const send = async (continuous: UpdateApplicationBody['continuous'] | Record<Field, string | number>) => {
    setSaved(false);
    const r = await action.run(() => patch<UpdateApplicationAnswer>(url, { continuous }));
    if (!r) return;
    setSaved(true);
    onChanged(r.application);
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    // Whole numbers as numbers; anything else as typed, for the server to refuse with its code.
    const number = (text: string) => (/^\s*-?\d+\s*$/.test(text) ? Number(text) : text);
    void send({ canary: number(draft.canary), batch: draft.batch, parallel: number(draft.parallel), bake: draft.bake, failureBudget: draft.failureBudget });
  };
  return (
    <form onSubmit={save} className="card form" aria-labelledby="continuous-title" autoComplete="off" data-app-continuous>
      <h2 id="continuous-title">Automatic upgrades</h2>
      <p className="muted">
        Sites with the <code>continuous</code> policy move to their channel’s latest version by themselves, inside their maintenance window, in a herd upgrade that moves as set here{options.custom ? '' : ' (now: the defaults)'}.
      </p>
      <div className="fields">
        {fields.map(([key, label, hint]) => (
          <div key={key}>
            <label htmlFor={`continuous-${key}`}>{label}</label>
            <input id={`continuous-${key}`} value={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} spellCheck={false} title={hint} aria-describedby={`continuous-${key}-hint`} />
            <small id={`continuous-${key}-hint`} className="muted">
              {hint}
            </small>
          </div>
        ))}
      </div>
      <ErrorNote error={action.error} />
      {saved && (
        <p className="muted" role="status">
          Saved: the next automatic upgrade moves this way (one running keeps its own).
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="ghost" disabled={action.busy || !options.custom} onClick={() => void send(null)}>
          Back to the defaults
        </button>
      </div>
    </form>
  );
}
