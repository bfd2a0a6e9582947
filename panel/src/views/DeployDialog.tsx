/**
 * Deploy one image (by digest) to an environment of the project, as `slipway deploy` does: at
 * once, or as a request waiting for approval where the environment requires one (an admin may
 * skip it, recorded in the audit log). A deploy of it in progress refuses the deploy, is replaced
 * (`--supersede`), or is waited for (`--wait`: the deploy is sent again once the change stream
 * says the one in progress ended; the dialog says what it waits for, and can stop waiting).
 */
import { useState } from 'react';
import { ApiError, post } from '../api';
import { deployWhenFree, STOPPED } from '../deploy-wait';
import { href, navigate } from '../router';
import type { Image, Started } from '../types';
import { Digest, ErrorNote } from '../ui/bits';
import { useDeployEnded } from '../ui/deploy-ended';
import { Dialog } from '../ui/dialog';
import { useAction } from '../ui/hooks';

type Busy = 'refuse' | 'wait' | 'supersede';
const busyChoices: Array<[Busy, string]> = [
  ['refuse', 'Refuse this deploy'],
  ['wait', 'Wait for it to end, then deploy'],
  ['supersede', 'Replace it with this deploy'],
];

export function DeployDialog({ ws, project, base, image, environments, onClose }: { ws: string; project: string; base: string; image: Image; environments: string[]; onClose(): void }) {
  const [env, setEnv] = useState(environments[0] ?? '');
  const [skipApproval, setSkipApproval] = useState(false);
  const [busy, setBusy] = useState<Busy>('refuse');
  const [waiting, setWaiting] = useState<string | null>(null);
  const [behind, setBehind] = useState<ApiError | null>(null);
  const action = useAction();
  const ended = useDeployEnded(project, env);
  const submit = async () => {
    const body = { digest: image.digest, ...(skipApproval ? { skipApproval: true } : {}), ...(busy === 'supersede' ? { supersede: true } : {}) };
    const send = () => post<Started>(`${base}/environments/${encodeURIComponent(env)}/deployments`, body);
    ended.reset();
    const result = await action.run(() => (busy === 'wait' ? deployWhenFree({ send, ended: ended.ended, onWaiting: setBehind, stopped: ended.stopped }) : send()));
    setBehind(null);
    if (result?.deployment) navigate(href('w', ws, 'deployments', result.deployment.id));
    else if (result?.approval) setWaiting(result.approval.id);
  };
  const shownError = action.error?.code === STOPPED ? null : action.error;
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
            <select value={env} onChange={(e) => setEnv(e.target.value)} disabled={action.busy}>
              {environments.map((e) => (
                <option key={e} value={e}>
                  {e}
                </option>
              ))}
            </select>
          </label>
          <fieldset className="choice stacked" disabled={action.busy}>
            <legend>If a deploy of {env} is in progress</legend>
            {busyChoices.map(([value, text]) => (
              <label className="check" key={value}>
                <input type="radio" name="deploy-busy" value={value} checked={busy === value} onChange={() => setBusy(value)} /> {text}
              </label>
            ))}
          </fieldset>
          <label className="check">
            <input type="checkbox" checked={skipApproval} onChange={(e) => setSkipApproval(e.target.checked)} disabled={action.busy} /> Deploy at once if it requires approval (admins and owners; recorded in the audit log)
          </label>
          {behind && action.busy && (
            <p role="status" data-waiting="">
              <Behind env={env} refusal={behind} /> This deploy is sent once that one ends.{' '}
              <button type="button" className="ghost" onClick={ended.stop}>
                Stop waiting
              </button>
            </p>
          )}
          {action.error?.code === STOPPED && <p role="status">Stopped waiting: nothing was deployed.</p>}
          <ErrorNote error={shownError} />
        </>
      )}
      <div className="actions">
        <button type="button" className="ghost" onClick={onClose}>
          {waiting ? 'Close' : 'Cancel'}
        </button>
        {!waiting && (
          <button type="button" onClick={() => void submit()} disabled={action.busy || !env}>
            {behind && action.busy ? `Waiting to deploy to ${env}…` : `Deploy to ${env}`}
          </button>
        )}
      </div>
    </Dialog>
  );
}

/** What the deploy waits for: the deployment the API's refusal names, else the refusal as it is. (No link to its log here: leaving the page would stop the waiting.) */
function Behind({ env, refusal }: { env: string; refusal: ApiError }) {
  const id = /\(deployment ([^,\s)]+)/.exec(refusal.message)?.[1];
  if (!id) return <>Waiting: {refusal.message}.</>;
  return (
    <>
      Waiting for deployment <code>{id}</code> of {env} to end.
    </>
  );
}
