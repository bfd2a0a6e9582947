/**
 * Creating an instance token acting as you (`admin tokens create [--name] [--expires-in]`). A
 * rotation (`--replace`) is a create here followed by a Revoke of the old token. A refusal keeps
 * what was typed.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, post } from '../api';
import { tokenFields } from '../access';
import type { CreateInstanceTokenBody, CreatedInstanceToken } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';

export function InstanceTokenCreate({ onCreated }: { onCreated(t: CreatedInstanceToken): void }) {
  const [name, setName] = useState('');
  const [expiresIn, setExpiresIn] = useState('');
  const [invalid, setInvalid] = useState<ApiError | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const given = tokenFields(name, expiresIn);
    if ('error' in given) return setInvalid(new ApiError('SLW_USAGE', given.error, 0));
    setInvalid(null);
    const body: CreateInstanceTokenBody = given.fields;
    const t = await action.run(() => post<CreatedInstanceToken>('instance/tokens', body));
    if (!t) return;
    setName('');
    setExpiresIn('');
    onCreated(t);
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="card form" aria-labelledby="create-instance-token-title" autoComplete="off">
      <h3 id="create-instance-token-title">Create an instance token</h3>
      <p className="muted small">It acts as you, an instance admin, on the whole instance.</p>
      <div className="fields">
        <div>
          <label htmlFor="instance-token-name">Token name (optional)</label>
          <input id="instance-token-name" value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} placeholder="instance admin token" />
        </div>
        <div>
          <label htmlFor="instance-token-expires">Expires in (optional)</label>
          <input id="instance-token-expires" value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)} spellCheck={false} placeholder="90m, 12h, 30d, 8w; empty: never" />
        </div>
      </div>
      <ErrorNote error={invalid ?? action.error} />
      <div className="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create instance token'}
        </button>
      </div>
    </form>
  );
}
