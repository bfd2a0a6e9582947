/**
 * A project webhook's settings (as `git hook --from --branch --branch-envs --previews
 * --preview-ttl`): where a push's image comes from (built from the commit, or the image CI
 * pushed as `git-<12 hex>`), the default branch, the branch patterns that get branch
 * environments, previews for pull/merge requests and how long one lives after its last update.
 * The form starts from what is stored; Save sends them with the provider (`PUT …/hook`). Deleting
 * the hook (`git hook --delete`) asks first.
 */
import { useState, type FormEvent } from 'react';
import { del, put } from '../api';
import type { HookAnswer, HookStatus } from '../types';
import { ErrorNote } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { useAction } from '../ui/hooks';

type Hook = NonNullable<HookStatus['hook']>;
const patterns = (text: string) => text.split(/[\s,]+/).filter(Boolean);

export function HookSettings({ url, hook, onSaved, onDeleted }: { url: string; hook: Hook; onSaved(): void; onDeleted(): void }) {
  const [source, setSource] = useState(hook.source);
  const [defaultBranch, setDefaultBranch] = useState(hook.defaultBranch ?? '');
  const [branchEnvs, setBranchEnvs] = useState(hook.branchEnvs.join(', '));
  const [previews, setPreviews] = useState(hook.previews);
  const [ttlHours, setTtlHours] = useState(String(Math.round(hook.previewTtlSeconds / 3600)));
  const [saved, setSaved] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const action = useAction();
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const body = {
      provider: hook.provider,
      source,
      ...(defaultBranch.trim() ? { defaultBranch: defaultBranch.trim() } : {}),
      branchEnvs: patterns(branchEnvs),
      previews,
      previewTtlSeconds: Math.round(Number(ttlHours) * 3600),
    };
    if (await action.run(() => put<HookAnswer>(url, body))) {
      setSaved(true);
      onSaved();
    }
  };
  return (
    <>
      <details className="card">
        <summary>Webhook settings</summary>
        <form onSubmit={save} className="form" aria-label="Webhook settings">
          <div className="fields">
            <div>
              <label htmlFor="hook-source">Image of a push</label>
              <select id="hook-source" value={source} onChange={(e) => setSource(e.target.value as Hook['source'])}>
                <option value="build">built from the commit</option>
                <option value="image">the image CI pushed (tag git-&lt;12 hex&gt;)</option>
              </select>
            </div>
            <div>
              <label htmlFor="hook-branch">Default branch (deploys the first environment)</label>
              <input id="hook-branch" value={defaultBranch} onChange={(e) => setDefaultBranch(e.target.value)} spellCheck={false} placeholder="the git source's branch" />
            </div>
            <div>
              <label htmlFor="hook-branch-envs">Branch environments for (patterns)</label>
              <input id="hook-branch-envs" value={branchEnvs} onChange={(e) => setBranchEnvs(e.target.value)} spellCheck={false} placeholder="the git source's patterns, e.g. feature/*" />
            </div>
            <div>
              <label htmlFor="hook-ttl">A preview lives (hours after its last update)</label>
              <input id="hook-ttl" type="number" min={1} max={2160} value={ttlHours} onChange={(e) => setTtlHours(e.target.value)} disabled={!previews} />
            </div>
          </div>
          <label className="check">
            <input type="checkbox" checked={previews} onChange={(e) => setPreviews(e.target.checked)} /> Preview environments for pull and merge requests
          </label>
          <ErrorNote error={action.error} />
          <div className="actions">
            <button type="submit" disabled={action.busy || ttlHours.trim() === ''}>
              Save webhook settings
            </button>
            <button type="button" className="ghost danger" onClick={() => setDeleting(true)}>
              Delete webhook…
            </button>
          </div>
          {saved && (
            <p role="status" className="note">
              Webhook settings saved.
            </p>
          )}
        </form>
      </details>
      {deleting && (
        <ConfirmDialog title="Delete the webhook?" confirm="Delete webhook" busy="Deleting…" action={() => del(url)} onDone={() => (setDeleting(false), onDeleted())} onClose={() => setDeleting(false)}>
          <p>
            Its URL answers 404 from then on and its deliveries are deleted; the provider's webhook must go too. The branch and preview environments it made stay (delete them as any environment). A new webhook gets a new URL and secret.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
