/**
 * Requests waiting for approval (promotions, direct deploys, rollbacks; with who asked), approve or
 * reject; and the history of all requests (as `promotions --status S --limit N`), each linked to
 * its page (as `promotion show ID`).
 */
import { useEffect, useRef, useState } from 'react';
import { get, path, post } from '../api';
import { ago } from '../format';
import { href, navigate } from '../router';
import type { Promotion, PromotionList, PromotionStarted } from '../types';
import { Digest, ErrorNote, Link, Loading, StatusBadge } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { useAction, useLoad } from '../ui/hooks';
import { ShowMore, useShowMore } from '../ui/more';
import { PromotionGates } from './Gates';

const what = (p: Promotion) => (p.kind === 'deploy' ? 'deploy' : p.kind === 'rollback' ? 'rollback' : 'promote');

export function Approvals({ ws, project, promotions, onDecided }: { ws: string; project: string; promotions: Promotion[]; onDecided(): void }) {
  const pending = promotions.filter((p) => p.status === 'pending-approval');
  const action = useAction();
  const [rejecting, setRejecting] = useState<Promotion | null>(null);
  // An error about a request that is no longer pending (decided meanwhile) is stale: drop it.
  const pendingIds = pending.map((p) => p.id).join(',');
  useEffect(() => action.clear(), [pendingIds]);
  const approve = async (p: Promotion) => {
    const result = await action.run(() => post<PromotionStarted>(`${path('workspaces', ws, 'promotions', p.id)}/approve`));
    if (result?.deployment) navigate(href('w', ws, 'deployments', result.deployment.id));
    else if (result) onDecided();
  };
  return (
    <>
      <section aria-labelledby="approvals-title" className="panel-section">
        <h2 id="approvals-title">Waiting for approval</h2>
        <ErrorNote error={action.error} />
        {pending.length === 0 ? (
          <p className="muted">Nothing waits for approval.</p>
        ) : (
          <ul className="list">
            {pending.map((p) => (
              <li key={p.id} className="row" data-promotion={p.id}>
                <span>
                  {what(p)} <strong>{p.version ?? 'untagged'}</strong> <Digest digest={p.imageDigest} /> {p.kind === 'promotion' ? <>from {p.from} </> : null}to <strong>{p.to}</strong>
                  {p.kind === 'rollback' ? ` (release #${p.fromRelease})` : ''}, asked by {p.requestedBy ?? 'unknown'} {ago(p.createdAt)}
                </span>
                <span className="actions">
                  <button type="button" disabled={action.busy} onClick={() => void approve(p)}>
                    Approve {p.to}
                  </button>
                  <button type="button" className="danger" disabled={action.busy} onClick={() => setRejecting(p)}>
                    Reject
                  </button>
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <PromotionHistory ws={ws} project={project} promotions={promotions} />
      {rejecting && <RejectDialog ws={ws} promotion={rejecting} onClose={() => setRejecting(null)} onDone={onDecided} />}
    </>
  );
}

function RejectDialog({ ws, promotion, onClose, onDone }: { ws: string; promotion: Promotion; onClose(): void; onDone(): void }) {
  const [reason, setReason] = useState('');
  return (
    <ConfirmDialog
      title={`Reject ${promotion.version ?? 'this image'} for ${promotion.to}?`}
      confirm="Reject promotion"
      action={() => post(`${path('workspaces', ws, 'promotions', promotion.id)}/reject`, reason ? { reason } : {})}
      onDone={() => (onDone(), onClose())}
      onClose={onClose}
    >
      <label htmlFor="reject-reason">Reason (optional, shown to the requester)</label>
      <input id="reject-reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
    </ConfirmDialog>
  );
}

/** The statuses `promotions --status` takes, in the order a request goes through them. */
const statuses: Promotion['status'][] = ['pending-approval', 'testing', 'deploying', 'baking', 'succeeded', 'failed', 'rejected', 'cancelled'];

/** Every request of the project, newest first, filtered by status; reloaded whenever the pipeline view reloads its own. */
function PromotionHistory({ ws, project, promotions }: { ws: string; project: string; promotions: Promotion[] }) {
  const [status, setStatus] = useState<Promotion['status'] | ''>('');
  const base = path('workspaces', ws, 'projects', project, 'promotions');
  const more = useShowMore(10, 500, `${base}?${status}`);
  const list = useLoad(() => get<PromotionList>(base, { status: status || undefined, limit: more.limit }), `${base}?status=${status}&limit=${more.limit}`, `${base}?status=${status}`);
  // The pipeline view reloads on every change of the workspace's promotions: so does this list (not on its first render, when it loads anyway).
  const { reload } = list;
  const seen = useRef(promotions);
  useEffect(() => {
    if (seen.current !== promotions) reload();
    seen.current = promotions;
  }, [promotions, reload]);
  const shown = list.data?.promotions;
  return (
    <section aria-labelledby="history-title" className="panel-section" data-promotion-history>
      <div className="heading-row">
        <h2 id="history-title">Promotions and approvals</h2>
        <label>
          Status{' '}
          <select aria-label="Requests in status" value={status} onChange={(e) => setStatus(e.target.value as Promotion['status'] | '')}>
            <option value="">any</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={list.error} />
      {!list.data && !list.error && <Loading what="requests" />}
      {shown && shown.length === 0 && <p className="muted">{status ? `No request is ${status}.` : 'No promotion or approval request yet.'}</p>}
      {shown && shown.length > 0 && (
        <ul className="list">
          {shown.map((p) => (
            <li key={p.id} className="row" data-request={p.id} data-status={p.status}>
              <span>
                <Link to={href('w', ws, 'promotions', p.id)}>{p.id}</Link> {what(p)} {p.version ?? 'untagged'} {p.kind === 'promotion' ? `${p.from} → ${p.to}` : `to ${p.to}`} <StatusBadge status={p.status} /> asked by {p.requestedBy ?? 'unknown'}
                {p.decidedBy ? `, decided by ${p.decidedBy}` : ''} {ago(p.createdAt)}
                {p.reason ? ` — “${p.reason}”` : ''}
                <PromotionGates p={p} />
              </span>
              {p.deploymentId && <Link to={href('w', ws, 'deployments', p.deploymentId)}>log</Link>}
            </li>
          ))}
        </ul>
      )}
      <ShowMore more={more} shown={shown?.length} what="requests" loading={list.loading} />
    </section>
  );
}
