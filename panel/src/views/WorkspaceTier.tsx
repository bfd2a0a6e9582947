/**
 * A workspace's tier and changing it (`workspace set NAME --tier T`, owners only, as the API
 * decides). Moving up adds the new tier's default environments to every project; moving down
 * removes nothing (custom environments stay, only new ones are refused). The answer says which
 * environments were added; a refusal (SLW_FORBIDDEN when the role was lowered since the page was
 * read) is shown with its code and the role is read again.
 */
import { useState, type FormEvent } from 'react';
import { patch, path } from '../api';
import type { Workspace, WorkspaceUpdated } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction, type Loaded } from '../ui/hooks';
import { tiers } from './CreateWorkspace';

const says = (tier: string) => tiers.find((t) => t.tier === tier)?.says ?? tier;
const custom = (tier: string) => tier === 'high' || tier === 'business';

export function WorkspaceTier({ ws, workspace, onChanged }: { ws: string; workspace: Loaded<Workspace>; onChanged(): void }) {
  const current = workspace.data?.tier;
  const owner = workspace.data?.role === 'owner';
  const [tier, setTier] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const chosen = tier ?? current ?? 'high';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const r = await action.run(() => patch<WorkspaceUpdated>(path('workspaces', ws), { tier: chosen }));
    workspace.reload();
    if (!r) return;
    setTier(null);
    const added = r.environmentsAdded.length ? `added ${r.environmentsAdded.join(', ')}` : 'no environment added';
    const kept = custom(r.workspace.tier) ? '' : '; every environment stays, and new custom environments are refused (SLW_TIER_NO_CUSTOM_ENVIRONMENTS)';
    setDone(`The tier is now ${r.workspace.tier}: ${added}${kept}.`);
    onChanged();
  };
  if (!current) return null;
  return (
    <section className="panel-section" aria-labelledby="tier-title">
      <h2 id="tier-title">Tier</h2>
      <p data-tier={current}>
        This workspace's tier is <strong>{says(current)}</strong>.
      </p>
      {done && (
        <p className="muted" role="status">
          {done}
        </p>
      )}
      {owner ? (
        <form onSubmit={(e) => void submit(e)} className="card form" aria-labelledby="change-tier-title">
          <h3 id="change-tier-title">Change the tier</h3>
          <p className="muted small">Moving up adds the new tier's default environments to every project. Moving down removes nothing: custom environments stay, only new ones are refused.</p>
          <label htmlFor="workspace-new-tier">New tier</label>
          <select id="workspace-new-tier" value={chosen} onChange={(e) => setTier(e.target.value)}>
            {tiers.map((t) => (
              <option key={t.tier} value={t.tier}>
                {t.says}
              </option>
            ))}
          </select>
          <ErrorNote error={action.error} />
          <div className="actions">
            <button type="submit" disabled={action.busy || chosen === current}>
              {action.busy ? 'Changing…' : 'Change tier'}
            </button>
          </div>
        </form>
      ) : (
        <>
          <ErrorNote error={action.error} />
          <p className="muted small">Only the workspace's owners change its tier; your role here is {workspace.data?.role}.</p>
        </>
      )}
    </section>
  );
}
