/**
 * A project's git builds: build a ref now (as `git build --ref REF [--no-deploy]`: the default
 * branch when empty; deployed as a push to that ref would be unless unticked), the recent builds,
 * and one build's log in a dialog (as `git builds ID`).
 */
import { useState, type FormEvent } from 'react';
import { get, post } from '../api';
import { ago } from '../format';
import { href } from '../router';
import type { GitBuildDetail, GitBuildInfo, GitBuildResult } from '../types';
import { Badge, Digest, ErrorNote, Link, Loading, Table } from '../ui/bits';
import { Dialog } from '../ui/dialog';
import { useAction, useLoad } from '../ui/hooks';

export function GitBuilds({ ws, url, branch, onBuilt }: { ws: string; url: string; branch: string; onBuilt?: () => void }) {
  const builds = useLoad(() => get<GitBuildInfo[]>(`${url}/builds`).catch(() => []), `${url}/builds`);
  const [ref, setRef] = useState('');
  const [deploy, setDeploy] = useState(true);
  const [built, setBuilt] = useState<GitBuildResult | null>(null);
  const [showing, setShowing] = useState<string | null>(null);
  const action = useAction();
  const build = async (e: FormEvent) => {
    e.preventDefault();
    setBuilt(null);
    const r = await action.run(() => post<GitBuildResult>(`${url}/builds`, { ...(ref.trim() ? { ref: ref.trim() } : {}), ...(deploy ? {} : { deploy: false }) }));
    builds.reload();
    if (r) {
      setBuilt(r);
      onBuilt?.();
    }
  };
  return (
    <>
      <form onSubmit={build} className="inline-form" aria-label="Build now">
        <label htmlFor="git-ref">Ref</label>
        <input id="git-ref" value={ref} onChange={(e) => setRef(e.target.value)} spellCheck={false} placeholder={branch} />
        <label className="check">
          <input type="checkbox" checked={deploy} onChange={(e) => setDeploy(e.target.checked)} /> Deploy it as a push would
        </label>
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Building…' : `Build ${ref.trim() || branch} now`}
        </button>
      </form>
      <ErrorNote error={action.error} />
      {built && (
        <p role="status">
          Built <code>{built.version}</code> from {built.commit.slice(0, 12)} ({built.ref}) <Digest digest={built.digest} />
          {built.deploy?.deployment ? (
            <>
              {' '}
              · deploying to {built.deploy.environment}: <Link to={href('w', ws, 'deployments', built.deploy.deployment)}>live log</Link>
            </>
          ) : built.deploy?.approval ? (
            ` · ${built.deploy.environment} requires approval: asked`
          ) : (
            ' · not deployed'
          )}
        </p>
      )}
      {builds.data && builds.data.length > 0 && (
        <Table caption="Recent git builds" columns={['Status', 'Ref', 'Commit', 'Version', 'Method', 'Started', 'Error', '']}>
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
              <td>
                <button type="button" className="ghost" onClick={() => setShowing(b.id)}>
                  Log<span className="sr-only"> of the build of {b.ref}</span>
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      {showing && <BuildLog url={`${url}/builds/${encodeURIComponent(showing)}`} onClose={() => setShowing(null)} />}
    </>
  );
}

function BuildLog({ url, onClose }: { url: string; onClose(): void }) {
  const build = useLoad(() => get<GitBuildDetail>(url), url);
  const b = build.data;
  return (
    <Dialog title={b ? `Build of ${b.ref} (${b.status})` : 'Build log'} onClose={onClose}>
      <ErrorNote error={build.error} />
      {!b && !build.error && <Loading what="the log" />}
      {b && (
        <ol className="log" aria-label="Build log">
          {b.log.split('\n').map((line, i) => (
            <li key={i}>
              <span className="message">{line}</span>
            </li>
          ))}
        </ol>
      )}
      <div className="actions">
        <button type="button" className="ghost" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
