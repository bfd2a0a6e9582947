/**
 * A confirmation before something that cannot be undone: a Dialog that says what goes (its
 * children, which may hold extra fields such as a checkbox or a reason), the API's error if the
 * action is refused (the dialog stays open), a danger button that runs the action (disabled and
 * showing its busy label while it runs) and Cancel. It is a form: Enter in a text field confirms.
 */
import type { FormEvent, ReactNode } from 'react';
import { ErrorNote } from './bits';
import { Dialog } from './dialog';
import { useAction } from './hooks';

export function ConfirmDialog<T>({ title, children, confirm, busy, disabled = false, action, onDone, onClose }: { title: string; children: ReactNode; confirm: string; busy?: string; /** e.g. until a name is typed again */ disabled?: boolean; action(): Promise<T>; onDone(result: T): void; onClose(): void }) {
  const running = useAction();
  const go = async (e: FormEvent) => {
    e.preventDefault();
    // Wrapped, so that an action answering nothing (undefined, null) still counts as done.
    const done = await running.run(async () => ({ result: await action() }));
    if (done) onDone(done.result);
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <form className="form" onSubmit={(e) => void go(e)}>
        {children}
        <ErrorNote error={running.error} />
        <div className="actions">
          <button type="submit" className="danger" disabled={running.busy || disabled}>
            {running.busy && busy ? busy : confirm}
          </button>
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The name typed again before something is removed for good (the CLI's `--confirm NAME`); the dialog stays disabled until it matches. */
export function TypeName({ id, kind, name, value, onChange }: { id: string; kind: string; name: string; value: string; onChange(typed: string): void }) {
  return (
    <div>
      <label htmlFor={id}>
        Type the {kind} name ({name}) to confirm
      </label>
      <input id={id} value={value} onChange={(e) => onChange(e.target.value)} spellCheck={false} autoComplete="off" required />
    </div>
  );
}
