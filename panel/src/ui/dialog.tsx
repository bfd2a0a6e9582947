/**
 * A modal dialog on the native <dialog> element: it traps focus, closes on Escape, and is
 * labelled by its title for screen readers.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';

export function Dialog({ title, onClose, children }: { title: string; onClose(): void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={id} onCancel={(e) => (e.preventDefault(), onClose())} className="dialog">
      <h2 id={id}>{title}</h2>
      {children}
    </dialog>
  );
}
