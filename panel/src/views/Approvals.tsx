/** Requests waiting for approval (promotions, direct deploys, rollbacks; with who asked), approve or reject; and the latest others. */
import { useEffect, useState } from 'react';
import { path, post } from '../api';
import { ago } from '../format';
import { href, navigate } from '../router';
import type { Promotion, PromotionStarted } from '../types';
import { Digest, ErrorNote, Link, StatusBadge } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { useAction } from '../ui/hooks';
import { PromotionGates } from './Gates';

const what = (p: Promotion) => (p.kind === 'deploy' ? 'deploy' : p.kind === 'rollback' ? 'rollback' : 'promote');

export function Approvals({ ws, promotions, onDecided }: { ws: string; promotions: Promotion[]; onDecided(): void }) {
  const pending = promotions.filter((p) => p.status === 'pending-approval');
  const recent = promotions.filter((p) => p.status !== 'pending-approval').slice(0, 8);
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
      {recent.length > 0 && (
        <section aria-labelledby="recent-title" className="panel-section">
          <h2 id="recent-title">Recent promotions and approvals</h2>
          <ul className="list">
            {recent.map((p) => (
              <li key={p.id} className="row">
                <span>
                  {what(p)} {p.version ?? 'untagged'} {p.kind === 'promotion' ? `${p.from} → ${p.to}` : `to ${p.to}`} <StatusBadge status={p.status} /> asked by {p.requestedBy ?? 'unknown'}
                  {p.decidedBy ? `, decided by ${p.decidedBy}` : ''} {ago(p.createdAt)}
                  {p.reason ? ` — “${p.reason}”` : ''}
                  <PromotionGates p={p} />
                </span>
                {p.deploymentId && <Link to={href('w', ws, 'deployments', p.deploymentId)}>log</Link>}
              </li>
            ))}
          </ul>
        </section>
      )}
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
