/**
 * The replica count of an environment, changed at once: the release that runs is rolled to it
 * without downtime (no new release), and the panel follows the scaling's log.
 */
import { useState } from 'react';
import { post } from '../api';
import { href, navigate } from '../router';
import type { ScaleStarted } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';

export function Scale({ ws, base, env, replicas, running }: { ws: string; base: string; env: string; replicas: number; running: boolean }) {
  const [wanted, setWanted] = useState(String(replicas));
  const action = useAction();
  const submit = async () => {
    const result = await action.run(() => post<ScaleStarted>(`${base}/scale`, { replicas: Number(wanted) }));
    if (result) navigate(href('w', ws, 'deployments', result.deployment.id));
  };
  return (
    <form
      className="inline-form"
      aria-label={`Scale ${env}`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label>
        Replicas <input type="number" min={1} max={50} value={wanted} onChange={(e) => setWanted(e.target.value)} />
      </label>
      <button type="submit" disabled={action.busy || !running || Number(wanted) === replicas}>
        Scale now
      </button>
      {!running && <span className="muted small">nothing runs yet: the next deploy starts this many</span>}
      <ErrorNote error={action.error} />
    </form>
  );
}
