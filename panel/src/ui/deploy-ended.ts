/**
 * For waiting on a deploy in progress (../deploy-wait.ts): `ended()` resolves when the change
 * stream announces that a deployment of `project`/`env` ended, when the stream opens again (it may
 * have missed that), or after {@link ASK_AGAIN_MS} at the latest.
 */
import { useCallback, useEffect, useRef } from 'react';
import { endedStates } from '../deploy-wait';
import { useChanges } from './live';

/**
 * Why 5 s: the stream says when a deploy ends, so this is only the fallback for a stream that is
 * down or a deploy ended by a promotion's or rollback's own change; the CLI asks every second,
 * with nothing to tell it sooner. No backoff: the request is one cheap refusal, and waiting ends
 * by itself after 30 minutes (WAIT_LIMIT_MS).
 */
export const ASK_AGAIN_MS = 5000;

export interface DeployEnded {
  /** Resolves when the deploy in progress may have ended. */
  ended(): Promise<void>;
  /** Stops waiting (also when the view goes away): `ended` resolves at once, `stopped` says so. */
  stop(): void;
  stopped(): boolean;
  /** Before a new wait. */
  reset(): void;
}

export function useDeployEnded(project: string, env: string): DeployEnded {
  const wake = useRef<(() => void) | null>(null);
  const stopped = useRef(false);
  useChanges(
    () => wake.current?.(),
    (c) => c.kind === 'deployment' && c.project === project && c.environment === env && endedStates.includes(c.status),
  );
  const stop = useCallback(() => {
    stopped.current = true;
    wake.current?.();
  }, []);
  useEffect(() => stop, [stop]);
  const ended = useCallback(
    () =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wake.current = null;
          resolve();
        };
        const timer = setTimeout(done, ASK_AGAIN_MS);
        wake.current = done;
      }),
    [],
  );
  return { ended, stop, stopped: () => stopped.current, reset: () => void (stopped.current = false) };
}
