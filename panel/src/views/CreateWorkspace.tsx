/**
 * Creating a workspace (`workspace create NAME --tier T`): for an instance admin's instance
 * token only, as the API decides; the caller becomes its owner. A refusal (a taken or invalid
 * name) is shown with its code and the form keeps what was typed.
 */
import { useState, type FormEvent } from 'react';
import { post } from '../api';
import type { CreateWorkspaceBody, Workspace } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';

const tiers = [
  { tier: 'low', says: 'low: prod only' },
  { tier: 'mid', says: 'mid: dev and prod' },
  { tier: 'high', says: 'high: dev, staging, prod and custom environments' },
  { tier: 'business', says: 'business: as high' },
];

export function CreateWorkspace({ onCreated }: { onCreated(w: Workspace): void }) {
  const [name, setName] = useState('');
  const [tier, setTier] = useState('high');
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const body: CreateWorkspaceBody = { name: name.trim(), tier };
    const w = await action.run(() => post<Workspace>('workspaces', body));
    if (!w) return;
    setName('');
    setDone(`Created workspace ${w.name} (tier ${w.tier}); you are its owner.`);
    onCreated(w);
  };
  return (
    <form onSubmit={submit} className="card form" aria-labelledby="create-workspace-title" autoComplete="off">
      <h2 id="create-workspace-title">Create a workspace</h2>
      <div className="fields">
        <div>
          <label htmlFor="workspace-name">Name</label>
          <input id="workspace-name" value={name} onChange={(e) => setName(e.target.value)} required spellCheck={false} placeholder="acme" />
        </div>
        <div>
          <label htmlFor="workspace-tier">Tier</label>
          <select id="workspace-tier" value={tier} onChange={(e) => setTier(e.target.value)}>
            {tiers.map((t) => (
              <option key={t.tier} value={t.tier}>
                {t.says}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorNote error={action.error} />
      {done && (
        <p className="muted" role="status">
          {done}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={action.busy || name.trim() === ''}>
          {action.busy ? 'Creating…' : 'Create workspace'}
        </button>
      </div>
    </form>
  );
}
