/**
 * A confirmation before something that cannot be undone: a Dialog that says what goes (its
 * children, which may hold extra fields such as a checkbox), the API's error if the action is
 * refused (the dialog stays open), a danger button that runs the action (disabled and showing
 * its busy label while it runs) and Cancel.
 */
import type { ReactNode } from 'react';
import { ErrorNote } from './bits';
import { Dialog } from './dialog';
import { useAction } from './hooks';

export function ConfirmDialog<T>({ title, children, confirm, busy, action, onDone, onClose }: { title: string; children: ReactNode; confirm: string; busy?: string; action(): Promise<T>; onDone(result: T): void; onClose(): void }) {
  const running = useAction();
  const go = async () => {
    // Wrapped, so that an action answering nothing (undefined, null) still counts as done.
    const done = await running.run(async () => ({ result: await action() }));
    if (done) onDone(done.result);
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <div className="form">
        {children}
        <ErrorNote error={running.error} />
        <div className="actions">
          <button type="button" className="danger" disabled={running.busy} onClick={() => void go()}>
            {running.busy && busy ? busy : confirm}
          </button>
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
        </div>
      </div>
    </Dialog>
  );
}
