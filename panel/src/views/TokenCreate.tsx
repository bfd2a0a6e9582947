/**
 * Creating a workspace API token (`token create --role R [--name] [--expires-in] [--member]`):
 * it acts as you unless an instance admin (with an instance token) names another member; its
 * role is at most the holder's. A refusal keeps what was typed.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, post } from '../api';
import { tokenFields, type Role } from '../access';
import type { CreateTokenBody, CreatedToken, Member } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';
import { RoleSelect } from './MemberAdd';

export function TokenCreate({ url, members, instanceAdmin, onCreated }: { url: string; members: Member[]; instanceAdmin: boolean; onCreated(t: CreatedToken): void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const [expiresIn, setExpiresIn] = useState('');
  const [member, setMember] = useState('');
  const [invalid, setInvalid] = useState<ApiError | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const given = tokenFields(name, expiresIn);
    if ('error' in given) return setInvalid(new ApiError('SLW_USAGE', given.error, 0));
    setInvalid(null);
    const body: CreateTokenBody = { role, ...given.fields, ...(member ? { member } : {}) };
    const t = await action.run(() => post<CreatedToken>(url, body));
    if (!t) return;
    setName('');
    setExpiresIn('');
    onCreated(t);
  };
  return (
    <form onSubmit={submit} className="card form" aria-labelledby="create-token-title" autoComplete="off">
      <h3 id="create-token-title">Create a token</h3>
      <div className="fields">
        <div>
          <label htmlFor="token-name">Token name (optional)</label>
          <input id="token-name" value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} placeholder="api token" />
        </div>
        <div>
          <label htmlFor="token-role">Token role</label>
          <RoleSelect id="token-role" value={role} onChange={setRole} />
        </div>
        <div>
          <label htmlFor="token-expires">Expires in (optional)</label>
          <input id="token-expires" value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)} spellCheck={false} placeholder="90m, 12h, 30d, 8w; empty: never" />
        </div>
        {instanceAdmin && (
          <div>
            <label htmlFor="token-member">Acts as</label>
            <select id="token-member" value={member} onChange={(e) => setMember(e.target.value)}>
              <option value="">you</option>
              {members.map((m) => (
                <option key={m.userId} value={m.email}>
                  {m.email} ({m.role})
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      <ErrorNote error={invalid ?? action.error} />
      <div className="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}
