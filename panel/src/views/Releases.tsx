/**
 * An environment's releases, newest first, each with what it ran and who made it; any earlier
 * release that ran can be restored, after a confirmation naming the image and config it brings back.
 */
import { useState } from 'react';
import { get, path, post } from '../api';
import { ago } from '../format';
import { href, navigate } from '../router';
import type { EnvironmentSettings, Release, ReleaseList, Started } from '../types';
import { Digest, ErrorNote, Loading, StatusBadge, Table } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { Dialog } from '../ui/dialog';
import { useLoad } from '../ui/hooks';
import { ShowMore, useShowMore } from '../ui/more';
import { useChanges } from '../ui/live';
import { Scale } from './Scale';

export function Releases({ ws, project, env }: { ws: string; project: string; env: string }) {
  const base = path('workspaces', ws, 'projects', project, 'environments', env);
  const more = useShowMore(100, 500, base);
  const releases = useLoad(() => get<ReleaseList>(`${base}/releases`, { limit: more.limit }), `${base}?limit=${more.limit}`, base);
  const settings = useLoad(() => get<EnvironmentSettings>(`${base}/settings`), base);
  useChanges(() => {
    releases.reload();
    settings.reload();
  }, (c) => c.project === project && c.environment === env);
  const [restoring, setRestoring] = useState<Release | null>(null);
  const list = releases.data?.releases ?? [];
  const current = list.find((r) => r.status === 'succeeded');
  return (
    <>
      {settings.data && <Scale key={settings.data.replicas} ws={ws} base={base} env={env} replicas={settings.data.replicas} running={current !== undefined} />}
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
      <ShowMore more={more} shown={releases.data?.releases.length} what="releases" loading={releases.loading} />
      {restoring && <RollbackDialog ws={ws} base={base} env={env} release={restoring} current={current} requiresApproval={settings.data?.requireApproval ?? false} onClose={() => setRestoring(null)} />}
    </>
  );
}

function RollbackDialog({ ws, base, env, release, current, requiresApproval, onClose }: { ws: string; base: string; env: string; release: Release; current: Release | undefined; requiresApproval: boolean; onClose(): void }) {
  const [skipApproval, setSkipApproval] = useState(false);
  const [waiting, setWaiting] = useState<string | null>(null);
  const secrets = Object.entries(release.secretVersions);
  const started = (result: Started) => {
    if (result.deployment) navigate(href('w', ws, 'deployments', result.deployment.id));
    else if (result.approval) setWaiting(result.approval.id);
  };
  if (waiting) {
    return (
      <Dialog title={`Rollback of ${env} waits for approval`} onClose={onClose}>
        <p role="status">
          Request {waiting} waits for an admin or owner other than you to approve it on the pipeline page. Nothing changes in {env} until then.
        </p>
        <div className="actions">
          <button type="button" onClick={onClose} autoFocus>
            Close
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <ConfirmDialog
      title={`Roll ${env} back to release #${release.number}?`}
      confirm={`Roll back to #${release.number}`}
      action={() => post<Started>(`${base}/rollback`, { to: release.number, ...(skipApproval ? { skipApproval: true } : {}) })}
      onDone={started}
      onClose={onClose}
    >
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
      <p className="muted small">That config and those secrets become {env}'s current ones, so its next deploy runs them too. A deploy in progress is superseded.</p>
      {requiresApproval && (
        <label className="check">
          <input type="checkbox" checked={skipApproval} onChange={(e) => setSkipApproval(e.target.checked)} /> Roll back at once, without the approval {env} requires (admins and owners; recorded in the
          audit log)
        </label>
      )}
    </ConfirmDialog>
  );
}
