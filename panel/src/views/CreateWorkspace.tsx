/**
 * Creating a workspace (`workspace create NAME --tier T`): for an instance admin's instance
 * token only, as the API decides; the caller becomes its owner. A refusal (a taken or invalid
 * name) is shown with its code and the form keeps what was typed (NameForm).
 */
import { useState } from 'react';
import { post } from '../api';
import type { CreateWorkspaceBody, Workspace } from '../types';
import { NameForm } from './NameForm';

/** The tiers and what each gives a project (docs/concepts.md). */
export const tiers = [
  { tier: 'low', says: 'low: prod only' },
  { tier: 'mid', says: 'mid: dev and prod' },
  { tier: 'high', says: 'high: dev, staging, prod and custom environments' },
  { tier: 'business', says: 'business: as high' },
];

export function CreateWorkspace({ onCreated }: { onCreated(w: Workspace): void }) {
  const [tier, setTier] = useState('high');
  const create = async (name: string) => {
    const body: CreateWorkspaceBody = { name, tier };
    const w = await post<Workspace>('workspaces', body);
    onCreated(w);
    return `Created workspace ${w.name} (tier ${w.tier}); you are its owner.`;
  };
  return (
    <NameForm id="workspace" title="Create a workspace" placeholder="acme" button="Create workspace" busy="Creating…" create={create}>
      <label htmlFor="workspace-tier">Tier</label>
      <select id="workspace-tier" value={tier} onChange={(e) => setTier(e.target.value)}>
        {tiers.map((t) => (
          <option key={t.tier} value={t.tier}>
            {t.says}
          </option>
        ))}
      </select>
    </NameForm>
  );
}
