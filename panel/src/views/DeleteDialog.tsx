/**
 * Deleting a project or an environment, as `project delete` / `env delete` do: what goes is
 * named and, when environments go with it (always for an environment, for a project that has
 * any), the name must be typed again (the CLI's `--confirm NAME`) before Delete is enabled.
 * The API's refusal (a deploy in progress, a tier default, a role too low) stays in the dialog.
 */
import { useState, type ReactNode } from 'react';
import { del } from '../api';
import type { Deleted } from '../types';
import { ConfirmDialog, TypeName } from '../ui/confirm';

export function DeleteDialog(props: { kind: 'project' | 'environment'; name: string; url: string; typeName?: boolean; children: ReactNode; onDeleted(r: Deleted): void; onClose(): void }) {
  const { kind, name, url, typeName = true, children, onDeleted, onClose } = props;
  const [typed, setTyped] = useState('');
  return (
    <ConfirmDialog title={`Delete ${kind} ${name}?`} confirm={`Delete ${name}`} busy="Deleting…" disabled={typeName && typed !== name} action={() => del<Deleted>(url)} onDone={onDeleted} onClose={onClose}>
      {children}
      <p>This cannot be undone; the audit log keeps the trail.</p>
      {typeName && <TypeName id={`delete-${kind}-confirm`} kind={kind} name={name} value={typed} onChange={setTyped} />}
    </ConfirmDialog>
  );
}
