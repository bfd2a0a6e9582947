/**
 * Deploy one image (by digest) to an environment of the project, as `slipway deploy` does: at
 * once, or as a request waiting for approval where the environment requires one (an admin may
 * skip it, recorded in the audit log); a deploy in progress can be superseded.
 */
import { useState } from 'react';
import { post } from '../api';
import { href, navigate } from '../router';
import type { Image, Started } from '../types';
import { Digest, ErrorNote } from '../ui/bits';
import { Dialog } from '../ui/dialog';
import { useAction } from '../ui/hooks';

export function DeployDialog({ ws, base, image, environments, onClose }: { ws: string; base: string; image: Image; environments: string[]; onClose(): void }) {
  const [env, setEnv] = useState(environments[0] ?? '');
  const [skipApproval, setSkipApproval] = useState(false);
  const [supersede, setSupersede] = useState(false);
  const [waiting, setWaiting] = useState<string | null>(null);
  const action = useAction();
  const submit = async () => {
    const body = { digest: image.digest, ...(skipApproval ? { skipApproval: true } : {}), ...(supersede ? { supersede: true } : {}) };
    const result = await action.run(() => post<Started>(`${base}/environments/${encodeURIComponent(env)}/deployments`, body));
    if (result?.deployment) navigate(href('w', ws, 'deployments', result.deployment.id));
    else if (result?.approval) setWaiting(result.approval.id);
  };
  return (
    <Dialog title={`Deploy ${image.version ?? 'this image'}`} onClose={onClose}>
      {waiting ? (
        <p role="status">
          {env} requires approval: request {waiting} waits for an admin or owner other than you on the pipeline page.
        </p>
      ) : (
        <>
          <p>
            Image <strong>{image.version ?? 'untagged'}</strong> <Digest digest={image.digest} />, with the chosen environment's own config and secrets.
          </p>
          <label>
            Environment{' '}
            <select value={env} onChange={(e) => setEnv(e.target.value)}>
              {environments.map((e) => (
                <option key={e} value={e}>
                  {e}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={supersede} onChange={(e) => setSupersede(e.target.checked)} /> Replace a deploy of it in progress
          </label>
          <label className="check">
            <input type="checkbox" checked={skipApproval} onChange={(e) => setSkipApproval(e.target.checked)} /> Deploy at once if it requires approval (admins and owners; recorded in the audit log)
          </label>
          <ErrorNote error={action.error} />
        </>
      )}
      <div className="actions">
        <button type="button" className="ghost" onClick={onClose}>
          {waiting ? 'Close' : 'Cancel'}
        </button>
        {!waiting && (
          <button type="button" onClick={() => void submit()} disabled={action.busy || !env}>
            Deploy to {env}
          </button>
        )}
      </div>
    </Dialog>
  );
}
