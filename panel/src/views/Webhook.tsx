/**
 * A project's webhook in the project view: its URL and settings (the secret only in the answer
 * that made it: create or rotate), its settings and deleting it, the branch and preview
 * environments it made, and its recent deliveries with what each did, each replayable.
 */
import { useState } from 'react';
import { get, path, post, put } from '../api';
import { ago } from '../format';
import { href } from '../router';
import type { Delivery, DeliveryList, HookAnswer, HookStatus } from '../types';
import { Badge, ErrorNote, Link, Table } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { ShowMore, useShowMore } from '../ui/more';
import { HookSettings } from './HookSettings';

const tone = (status: string) => (status === 'processed' ? 'ok' : status === 'failed' ? 'bad' : status === 'ignored' ? 'muted' : 'info');

export function Webhook({ ws, project, hook, onChanged }: { ws: string; project: string; hook: HookStatus | null; onChanged: () => void }) {
  const base = path('workspaces', ws, 'projects', project);
  const more = useShowMore(20, 500, base);
  const deliveries = useLoad(() => get<DeliveryList>(`${base}/deliveries`, { limit: more.limit }).then((d) => d.deliveries), `${base}/deliveries?limit=${more.limit}`, `${base}/deliveries`);
  const [provider, setProvider] = useState<'github' | 'gitlab' | 'gitea'>('github');
  const [made, setMade] = useState<HookAnswer | null>(null);
  const action = useAction();
  const reload = () => {
    deliveries.reload();
    onChanged();
  };
  const create = async (rotate: boolean) => {
    const r = await action.run(() => put<HookAnswer>(`${base}/hook`, { provider: rotate && hook?.hook ? hook.hook.provider : provider, ...(rotate ? { rotate: true } : {}) }));
    if (r) {
      setMade(r);
      onChanged();
    }
  };
  const replay = async (d: Delivery) => {
    if (await action.run(() => post<Delivery>(`${base}/deliveries/${encodeURIComponent(d.id)}/replay`, undefined))) reload();
  };
  const h = hook?.hook;
  return (
    <section className="card" aria-labelledby="hook-title" data-webhook>
      <div className="heading-row">
        <h2 id="hook-title">Webhook</h2>
        <button type="button" className="ghost" onClick={reload}>
          Refresh
        </button>
      </div>
      {h && hook ? (
        <>
          <p>
            <Badge tone="info">{h.provider}</Badge> <code data-hook-url>{hook.url}</code>
          </p>
          <p className="muted">
            Pushes to {h.defaultBranch ?? 'the git source branch'} deploy the first environment; branch environments for {h.branchEnvs.join(', ') || 'the git source patterns'}; images {h.source === 'image' ? 'from CI (tag git-<12 hex>)' : 'built from the commit'}; previews {h.previews ? `on (removed ${Math.round(h.previewTtlSeconds / 3600)} h after their last update)` : 'off'}.
            {h.failedVerifications > 0 && ` ${h.failedVerifications} ${h.failedVerifications === 1 ? 'delivery' : 'deliveries'} refused for a bad signature (last ${ago(h.lastFailedAt)}).`}
          </p>
          <div className="actions">
            <button type="button" className="ghost" disabled={action.busy} onClick={() => void create(true)}>
              Rotate secret
            </button>
          </div>
          <HookSettings key={h.id} url={`${base}/hook`} hook={h} onSaved={reload} onDeleted={() => (setMade(null), reload())} />
        </>
      ) : (
        <div className="actions">
          <label htmlFor="hook-provider">Provider</label>
          <select id="hook-provider" value={provider} onChange={(e) => setProvider(e.target.value as typeof provider)}>
            <option value="github">GitHub</option>
            <option value="gitlab">GitLab</option>
            <option value="gitea">Gitea / Forgejo</option>
          </select>
          <button type="button" disabled={action.busy} onClick={() => void create(false)}>
            Create webhook
          </button>
        </div>
      )}
      {made?.secret && (
        <p role="status" data-hook-secret>
          Secret (shown once — paste it into the {made.hook.provider} webhook now): <code>{made.secret}</code>
        </p>
      )}
      <ErrorNote error={action.error ?? deliveries.error} />
      {hook && hook.environments.length > 0 && (
        <Table caption="Branch and preview environments" columns={['Environment', 'Kind', 'Follows', 'Commit', 'Updated', 'Expires']}>
          {hook.environments.map((e) => (
            <tr key={e.name} data-following={e.name}>
              <td>
                <Link to={href('w', ws, 'p', project, 'e', e.name)}>{e.name}</Link>
              </td>
              <td>
                <Badge tone="info">{e.kind}</Badge>
              </td>
              <td>
                <code>{e.kind === 'preview' ? `#${e.ref} (${e.headRef ?? ''})` : e.ref}</code>
              </td>
              <td>
                <code>{e.sha?.slice(0, 12) ?? '-'}</code>
              </td>
              <td>{ago(e.updatedAt)}</td>
              <td>{e.expiresAt ? new Date(e.expiresAt).toLocaleString() : '-'}</td>
            </tr>
          ))}
        </Table>
      )}
      {deliveries.data && deliveries.data.length > 0 && (
        <Table caption="Recent deliveries" columns={['Received', 'Event', 'Ref', 'Commit', 'Status', 'What was done', '']}>
          {deliveries.data.map((d) => (
            <tr key={d.id} data-delivery={d.id}>
              <td>{ago(d.receivedAt)}</td>
              <td>{[d.event, d.action !== d.event && d.action !== 'push' ? d.action : null].filter(Boolean).join(' ')}</td>
              <td>
                <code>{d.ref ?? '-'}</code>
              </td>
              <td>
                <code>{d.sha?.slice(0, 12) ?? '-'}</code>
              </td>
              <td>
                <Badge tone={tone(d.status)}>{d.status}</Badge>
                {d.duplicates > 0 && <span className="muted"> +{d.duplicates} duplicate</span>}
              </td>
              <td className="muted">{d.message ?? ''}</td>
              <td>
                <button type="button" className="ghost" disabled={action.busy || d.status === 'received' || d.status === 'processing'} onClick={() => void replay(d)} aria-label={`Replay delivery ${d.id}`}>
                  Replay
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <ShowMore more={more} shown={deliveries.data?.length} what="deliveries" loading={deliveries.loading} />
    </section>
  );
}
