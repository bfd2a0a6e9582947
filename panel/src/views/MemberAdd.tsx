/** Adding a person by e-mail with a role (`member add EMAIL --role R`): a refusal keeps what was typed. */
import { useState, type FormEvent } from 'react';
import { post } from '../api';
import { roleNames, type Role } from '../access';
import type { AddMemberBody, AddedMember } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';

export function MemberAdd({ url, onAdded }: { url: string; onAdded(m: AddedMember): void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: AddMemberBody = { email: email.trim(), role };
    const m = await action.run(() => post<AddedMember>(url, body));
    if (!m) return;
    setEmail('');
    onAdded(m);
  };
  return (
    <form onSubmit={submit} className="card form" aria-labelledby="add-member-title" autoComplete="off">
      <h3 id="add-member-title">Add a member</h3>
      <p className="muted small">A person without an account here gets one; nobody grants a role above their own.</p>
      <div className="fields">
        <div>
          <label htmlFor="member-email">E-mail</label>
          <input id="member-email" inputMode="email" value={email} onChange={(e) => setEmail(e.target.value)} required spellCheck={false} placeholder="dev@example.com" />
        </div>
        <div>
          <label htmlFor="member-role">Role</label>
          <RoleSelect id="member-role" value={role} onChange={setRole} />
        </div>
      </div>
      <ErrorNote error={action.error} />
      <div className="actions">
        <button type="submit" disabled={action.busy || email.trim() === ''}>
          {action.busy ? 'Adding…' : 'Add member'}
        </button>
      </div>
    </form>
  );
}

export function RoleSelect({ id, value, onChange, label }: { id: string; value: Role; onChange(role: Role): void; label?: string }) {
  return (
    <select id={id} value={value} aria-label={label} onChange={(e) => onChange(roleNames.find((r) => r === e.target.value) ?? value)}>
      {roleNames.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}
