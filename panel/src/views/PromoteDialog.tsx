/**
 * Promote: first what changes (version, digest, config keys that differ between the two
 * environments, secret names only), then the one button. A deploy that starts opens its live
 * log; one that needs approval says so (an admin may promote at once, as `--skip-approval`).
 */
import { useState } from 'react';
import { get, path, post } from '../api';
import { href, navigate } from '../router';
import type { KeyDiff, Promotion, PromotionPreview, PromotionStarted } from '../types';
import { Badge, Digest, ErrorNote, Loading } from '../ui/bits';
import { Dialog } from '../ui/dialog';
import { useAction, useLoad } from '../ui/hooks';

export function PromoteDialog(props: { ws: string; project: string; from: string; to: string; onClose(): void; onDone(): void }) {
  const { ws, project, from, to, onClose } = props;
  const base = path('workspaces', ws, 'projects', project, 'promotions');
  const preview = useLoad(() => get<PromotionPreview>(`${base}/preview`, { from, to }), `${base}:${from}:${to}`);
  const action = useAction();
  const [waiting, setWaiting] = useState<Promotion | null>(null);
  const [skipApproval, setSkipApproval] = useState(false);
  const p = preview.data;
  const submit = async () => {
    const result = await action.run(() => post<PromotionStarted>(base, { from, to, ...(skipApproval ? { skipApproval: true } : {}) }));
    if (!result) return;
    props.onDone();
    if (result.deployment) navigate(href('w', ws, 'deployments', result.deployment.id));
    else setWaiting(result.promotion);
  };
  return (
    <Dialog title={`Promote ${from} → ${to}`} onClose={onClose}>
      <ErrorNote error={preview.error} />
      {!p && !preview.error && <Loading what="what changes" />}
      {p && !waiting && (
        <>
          <table className="compare">
            <thead>
              <tr>
                <th scope="col"></th>
                <th scope="col">{from} (now)</th>
                <th scope="col">{to} (now)</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">Version</th>
                <td>{p.from.release?.version ?? '—'}</td>
                <td>{p.to.release?.version ?? '—'}</td>
              </tr>
              <tr>
                <th scope="row">Digest</th>
                <td>
                  <Digest digest={p.from.release?.imageDigest} />
                </td>
                <td>
                  <Digest digest={p.to.release?.imageDigest} />
                </td>
              </tr>
              <tr>
                <th scope="row">Release</th>
                <td>{p.from.release ? `#${p.from.release.number}` : '—'}</td>
                <td>{p.to.release ? `#${p.to.release.number}` : '—'}</td>
              </tr>
            </tbody>
          </table>
          <p>{p.imageChanges ? <>{to} will run the image {from} runs now; it keeps its own config and secrets.</> : <Badge tone="muted">{to} already runs this image: promoting makes a new release of the same image.</Badge>}</p>
          <KeyList title="Config keys that differ between the two" diff={p.config} from={from} to={to} />
          <KeyList title="Secrets that differ (names only)" diff={p.secrets} from={from} to={to} />
          {p.requiresApproval && (
            <>
              <p className="note">{to} requires approval: an admin other than you approves or rejects the promotion before it deploys.</p>
              <label className="check">
                <input type="checkbox" checked={skipApproval} onChange={(e) => setSkipApproval(e.target.checked)} /> Promote at once without approval (admins and owners; recorded in the audit log)
              </label>
            </>
          )}
        </>
      )}
      {waiting && (
        <p className="note" role="status">
          Asked for approval: promotion {waiting.id} of {waiting.version ?? 'the image'} to {to} waits for an admin.
        </p>
      )}
      <ErrorNote error={action.error} />
      <div className="actions">
        <button type="button" className="ghost" onClick={onClose}>
          {waiting ? 'Close' : 'Cancel'}
        </button>
        {!waiting && (
          <button type="button" onClick={() => void submit()} disabled={!p?.from.release || action.busy} autoFocus>
            {p?.requiresApproval && !skipApproval ? `Ask to promote to ${to}` : `Promote to ${to}`}
          </button>
        )}
      </div>
    </Dialog>
  );
}

function KeyList({ title, diff, from, to }: { title: string; diff: KeyDiff; from: string; to: string }) {
  const none = diff.onlyInFrom.length + diff.onlyInTo.length + diff.differ.length === 0;
  return (
    <div className="keydiff">
      <h3>{title}</h3>
      {none ? (
        <p className="muted">none</p>
      ) : (
        <ul>
          {diff.differ.map((k) => (
            <li key={`d-${k}`}>
              <code>{k}</code> differs
            </li>
          ))}
          {diff.onlyInFrom.map((k) => (
            <li key={`f-${k}`}>
              <code>{k}</code> only in {from}
            </li>
          ))}
          {diff.onlyInTo.map((k) => (
            <li key={`t-${k}`}>
              <code>{k}</code> only in {to}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
