/**
 * Linking a project's git repository, or changing the link (as `git link URL --branch
 * --branch-envs --credential|--no-credential --runtime --base`): the form starts from the stored
 * link; the token is write-only (an empty field keeps the stored one, "remove the stored token"
 * sends none), emptied once sent.
 */
import { useState, type FormEvent } from 'react';
import { put } from '../api';
import type { GitSourceInfo } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';

const patterns = (text: string) => text.split(/[\s,]+/).filter(Boolean);

export function GitLinkForm({ url, current, onSaved, onCancel }: { url: string; current: GitSourceInfo | null; onSaved(s: GitSourceInfo): void; onCancel?(): void }) {
  const [repo, setRepo] = useState(current?.url ?? '');
  const [branch, setBranch] = useState(current?.branch ?? 'main');
  const [branchEnvs, setBranchEnvs] = useState(current?.branchEnvs.join(', ') ?? '');
  const [runtime, setRuntime] = useState(current?.runtime ?? '');
  const [base, setBase] = useState(current?.base ?? '');
  const [credential, setCredential] = useState('');
  const [dropCredential, setDropCredential] = useState(false);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = {
      url: repo.trim(),
      branch: branch.trim() || 'main',
      branchEnvs: patterns(branchEnvs),
      ...(runtime ? { runtime } : {}),
      ...(base.trim() ? { base: base.trim() } : {}),
      ...(dropCredential ? { credential: null } : credential ? { credential } : {}),
    };
    const r = await action.run(() => put<GitSourceInfo>(url, body));
    setCredential('');
    if (r) onSaved(r);
  };
  return (
    <form onSubmit={submit} className="form" aria-label={current ? 'Change the git link' : 'Link a git repository'} autoComplete="off">
      <div className="fields">
        <div className="wide">
          <label htmlFor="git-url">Repository URL (https)</label>
          <input id="git-url" value={repo} onChange={(e) => setRepo(e.target.value)} required spellCheck={false} placeholder="https://git.example.com/team/app.git" />
        </div>
        <div>
          <label htmlFor="git-branch">Branch</label>
          <input id="git-branch" value={branch} onChange={(e) => setBranch(e.target.value)} spellCheck={false} />
        </div>
        <div>
          <label htmlFor="git-branch-envs">Branch environments for (patterns, optional)</label>
          <input id="git-branch-envs" value={branchEnvs} onChange={(e) => setBranchEnvs(e.target.value)} spellCheck={false} placeholder="feature/*, fix/*" />
        </div>
        <div>
          <label htmlFor="git-runtime">Runtime without a Dockerfile</label>
          <select id="git-runtime" value={runtime} onChange={(e) => setRuntime(e.target.value)}>
            <option value="">detected</option>
            <option value="java">java</option>
            <option value="static">static</option>
            <option value="node">node</option>
          </select>
        </div>
        <div>
          <label htmlFor="git-base">Base image (optional)</label>
          <input id="git-base" value={base} onChange={(e) => setBase(e.target.value)} spellCheck={false} placeholder="the runtime's default" />
        </div>
        <div>
          <label htmlFor="git-credential">{current?.credential === 'set' ? 'New token (write-only; empty keeps the stored one)' : 'Token (write-only, optional)'}</label>
          <input id="git-credential" type="password" autoComplete="new-password" value={credential} onChange={(e) => setCredential(e.target.value)} disabled={dropCredential} />
        </div>
      </div>
      {current?.credential === 'set' && (
        <label className="check">
          <input type="checkbox" checked={dropCredential} onChange={(e) => (setDropCredential(e.target.checked), setCredential(''))} /> Remove the stored token
        </label>
      )}
      <ErrorNote error={action.error} />
      <div className="actions">
        <button type="submit" disabled={action.busy || repo.trim() === ''}>
          {current ? 'Save link' : 'Link repository'}
        </button>
        {onCancel && (
          <button type="button" className="ghost" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
