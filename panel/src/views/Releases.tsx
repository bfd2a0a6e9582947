/**
 * An environment's releases, newest first, each with what it ran and who made it; any earlier
 * release that ran can be restored, after a confirmation naming the image and config it brings back.
 */
import { useState } from 'react';
import { get, path, post } from '../api';
import { ago } from '../format';
import { href, navigate } from '../router';
import type { Deployment, Release } from '../types';
import { Digest, ErrorNote, Loading, StatusBadge, Table } from '../ui/bits';
import { Dialog } from '../ui/dialog';
import { useAction, useLoad } from '../ui/hooks';
import { useChanges } from '../ui/live';

export function Releases({ ws, project, env }: { ws: string; project: string; env: string }) {
  const base = path('workspaces', ws, 'projects', project, 'environments', env);
  const releases = useLoad(() => get<{ releases: Release[] }>(`${base}/releases`, { limit: 100 }), base);
  useChanges(releases.reload, (c) => c.project === project && c.environment === env);
  const [restoring, setRestoring] = useState<Release | null>(null);
  const list = releases.data?.releases ?? [];
  const current = list.find((r) => r.status === 'succeeded');
  return (
    <>
      <ErrorNote error={releases.error} />
      {!releases.data && !releases.error && <Loading what="releases" />}
      {releases.data && list.length === 0 && <p className="muted">No releases yet.</p>}
      {list.length > 0 && (
        <Table caption={`Releases of ${env}`} columns={['#', 'Status', 'Version', 'Digest', 'Config', 'Trigger', 'By', 'When', '']}>
          {list.map((r) => (
            <tr key={r.id} data-release={r.number}>
              <td>{r.number}</td>
              <td>
                <StatusBadge status={r.status} />
                {r.message && <div className="muted small">{r.message}</div>}
              </td>
              <td>{r.version ?? 'untagged'}</td>
              <td>
                <Digest digest={r.imageDigest} />
              </td>
              <td>v{r.configVersion}</td>
              <td>{r.trigger}</td>
              <td>{r.actor.email ?? '—'}</td>
              <td>
                <time dateTime={r.createdAt} title={r.createdAt}>
                  {ago(r.createdAt)}
                </time>
              </td>
              <td>
                {r.status === 'superseded' && r !== current && (
                  <button type="button" className="ghost" onClick={() => setRestoring(r)}>
                    Roll back to #{r.number}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      {restoring && <RollbackDialog ws={ws} base={base} env={env} release={restoring} current={current} onClose={() => setRestoring(null)} />}
    </>
  );
}

function RollbackDialog({ ws, base, env, release, current, onClose }: { ws: string; base: string; env: string; release: Release; current: Release | undefined; onClose(): void }) {
  const action = useAction();
  const secrets = Object.entries(release.secretVersions);
  const submit = async () => {
    const result = await action.run(() => post<{ deployment: Deployment }>(`${base}/rollback`, { to: release.number }));
    if (result) navigate(href('w', ws, 'deployments', result.deployment.id));
  };
  return (
    <Dialog title={`Roll ${env} back to release #${release.number}?`} onClose={onClose}>
      <p>A new release of {env} restores what release #{release.number} ran:</p>
      <ul>
        <li>
          image <strong>{release.version ?? 'untagged'}</strong> <Digest digest={release.imageDigest} />
          {current && (
            <>
              {' '}
              (now: {current.version ?? 'untagged'} <Digest digest={current.imageDigest} />)
            </>
          )}
        </li>
        <li>
          config version <strong>{release.configVersion}</strong>
          {current && current.configVersion !== release.configVersion && <> (now: {current.configVersion})</>}
        </li>
        <li>{secrets.length === 0 ? 'no secrets' : `secrets at the versions it had: ${secrets.map(([name, v]) => `${name} v${v}`).join(', ')}`}</li>
      </ul>
      <ErrorNote error={action.error} />
      <div className="actions">
        <button type="button" className="ghost" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={() => void submit()} disabled={action.busy} autoFocus>
          Roll back to #{release.number}
        </button>
      </div>
    </Dialog>
  );
}
