/**
 * Where the manifest stands with the environments that require approval: they run its jobs
 * (pipelines, schedules, the release step) only once an admin or owner applied or reviewed what
 * it runs. An admin or owner reviews it here — the changes since the last review shown (or the
 * whole text, in the form below), named by its digest, so a manifest replaced meanwhile is refused
 * (SLW_MANIFEST_CHANGED) and read again.
 */
import { post } from '../api';
import { mayManage } from '../access';
import { ago } from '../format';
import type { ProjectManifest } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';
import { useWorkspace } from '../ui/workspace';

export function ManifestReview({ ws, url, manifest, onReviewed }: { ws: string; url: string; manifest: ProjectManifest; onReviewed: () => void }) {
  const workspace = useWorkspace(ws);
  const action = useAction();
  const { review } = manifest;
  const guarded = review.protectedEnvironments;
  const names = guarded.join(', ');
  const submit = async () => {
    await action.run(() => post<ProjectManifest>(`${url}/review`, { digest: manifest.digest }));
    onReviewed();
  };
  if (review.reviewed) {
    return (
      <p className="muted" data-review="reviewed">
        Reviewed by {review.reviewedBy ?? 'unknown'} {review.reviewedAt ? ago(review.reviewedAt) : ''}
        {guarded.length > 0 ? `: ${names} run${guarded.length === 1 ? 's' : ''} its jobs.` : '.'}
      </p>
    );
  }
  if (guarded.length === 0) return <p className="muted" data-review="none-protected">Not reviewed; no environment requires approval, so every one runs its jobs.</p>;
  return (
    <div className="note warn" data-review="pending" role="note" aria-label="Manifest review">
      <p>
        Not reviewed: {names} require{guarded.length === 1 ? 's' : ''} approval and run{guarded.length === 1 ? 's' : ''} none of its jobs (pipelines, schedules, the release step) until an admin or owner reviews this manifest
        {mayManage(workspace.data?.role) ? '. Read it first (Edit and apply the manifest, below).' : '; ask one to review it.'}
      </p>
      {review.diff !== null ? (
        <pre className="diff" aria-label="Changes since the last review">
          {review.diff.split('\n').map((line, i) => (
            <span key={i} className={line.startsWith('+ ') ? 'added' : line.startsWith('- ') ? 'removed' : undefined}>
              {line}
              {'\n'}
            </span>
          ))}
        </pre>
      ) : (
        <p className="muted">Never reviewed before: read it whole.</p>
      )}
      {mayManage(workspace.data?.role) && (
        <button type="button" onClick={() => void submit()} disabled={action.busy || manifest.digest === null}>
          Review manifest
        </button>
      )}
      <ErrorNote error={action.error} />
    </div>
  );
}
