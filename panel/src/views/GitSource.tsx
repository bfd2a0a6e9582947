/**
 * A project's git source in the project view: the linked repository (the credential only as
 * set or none: it is write-only), a form to link or re-link it, unlink, a button that builds the
 * default branch's head now (and deploys it to the first environment), and the recent git builds.
 */
import { useState, type FormEvent } from 'react';
import { del, get, path, post, put } from '../api';
import { ago } from '../format';
import type { GitBuildInfo, GitBuildResult, GitSourceInfo } from '../types';
import { Badge, Digest, ErrorNote, Table } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';

export function GitSource({ ws, project, onBuilt }: { ws: string; project: string; onBuilt?: () => void }) {
  const url = `${path('workspaces', ws, 'projects', project)}/git`;
  const source = useLoad(() => get<GitSourceInfo>(url).catch((e: { code?: string }) => (e.code === 'SLW_GIT_NOT_LINKED' ? null : Promise.reject(e))), url);
  const builds = useLoad(() => get<GitBuildInfo[]>(`${url}/builds`).catch(() => []), `${url}/builds`);
  const [repo, setRepo] = useState('');
  const [branch, setBranch] = useState('main');
  const [credential, setCredential] = useState('');
  const [built, setBuilt] = useState<GitBuildResult | null>(null);
  const action = useAction();
  const link = async (e: FormEvent) => {
    e.preventDefault();
    const r = await action.run(() => put<GitSourceInfo>(url, { url: repo.trim(), branch: branch.trim() || 'main', ...(credential ? { credential } : {}) }));
    setCredential('');
    if (r) source.reload();
  };
  const build = async () => {
    const r = await action.run(() => post<GitBuildResult>(`${url}/builds`, {}));
    builds.reload();
    if (r) {
      setBuilt(r);
      onBuilt?.();
    }
  };
  const s = source.data;
  return (
    <section className="card" aria-labelledby="git-title" data-git-source>
      <h2 id="git-title">Git source</h2>
      <ErrorNote error={source.error} />
      {s && (
        <>
          <p>
            <code>{s.url}</code> · branch <code>{s.branch}</code> · credential <Badge tone={s.credential === 'set' ? 'info' : 'muted'}>{s.credential}</Badge>
            {s.branchEnvs.length > 0 && <> · branch environments {s.branchEnvs.join(', ')}</>}
          </p>
          <div className="actions">
            <button type="button" disabled={action.busy} onClick={() => void build()}>
              {action.busy ? 'Building…' : `Build ${s.branch} now`}
            </button>
            <button type="button" className="ghost danger" disabled={action.busy} onClick={() => void action.run(() => del(url)).then(source.reload)}>
              Unlink
            </button>
          </div>
          {built && (
            <p role="status">
              Built <code>{built.version}</code> from {built.commit.slice(0, 12)} <Digest digest={built.digest} />
              {built.deploy?.deployment ? ` · deploying to ${built.deploy.environment}` : ''}
            </p>
          )}
        </>
      )}
      {source.data === null && (
        <form onSubmit={link} className="form" aria-label="Link a git repository" autoComplete="off">
          <div className="fields">
            <div>
              <label htmlFor="git-url">Repository URL (https)</label>
              <input id="git-url" value={repo} onChange={(e) => setRepo(e.target.value)} required spellCheck={false} placeholder="https://git.example.com/team/app.git" />
            </div>
            <div>
              <label htmlFor="git-branch">Branch</label>
              <input id="git-branch" value={branch} onChange={(e) => setBranch(e.target.value)} spellCheck={false} />
            </div>
            <div>
              <label htmlFor="git-credential">Token (write-only, optional)</label>
              <input id="git-credential" type="password" autoComplete="new-password" value={credential} onChange={(e) => setCredential(e.target.value)} />
            </div>
          </div>
          <button type="submit" disabled={action.busy || repo.trim() === ''}>
            Link repository
          </button>
        </form>
      )}
      <ErrorNote error={action.error} />
      {builds.data && builds.data.length > 0 && (
        <Table caption="Recent git builds" columns={['Status', 'Ref', 'Commit', 'Version', 'Method', 'Started', 'Error']}>
          {builds.data.map((b) => (
            <tr key={b.id} data-git-build={b.id}>
              <td>
                <Badge tone={b.status === 'succeeded' ? 'ok' : b.status === 'failed' ? 'bad' : 'info'}>{b.status}</Badge>
              </td>
              <td>
                <code>{b.ref}</code>
              </td>
              <td>
                <code>{b.commit?.slice(0, 12) ?? '-'}</code>
              </td>
              <td>{b.version ?? '-'}</td>
              <td>{b.method ?? '-'}</td>
              <td>{ago(b.startedAt)}</td>
              <td className="muted">{b.error ?? ''}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
