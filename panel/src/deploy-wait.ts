/**
 * `slipway deploy --wait` in the panel: while another deploy of the environment is in progress
 * (SLW_DEPLOY_IN_PROGRESS), wait for it to end and ask again, until the deploy is accepted (or
 * refused for another reason, or given up on). The waiting itself is the caller's: the Deploy
 * dialog wakes on the change stream's announcement that a deployment of the environment ended.
 * Pure, apart from the calls it is given.
 */
import { ApiError } from './api';

/** As the CLI: a deploy in progress is waited for up to 30 minutes, then the refusal stands. */
export const WAIT_LIMIT_MS = 30 * 60_000;

/** The deployment states after which the environment takes a new deploy. */
export const endedStates = ['succeeded', 'failed', 'cancelled'];

export const STOPPED = 'SLW_PANEL_STOPPED';

export interface WaitingDeploy<T> {
  /** Sends the deploy once. */
  send(): Promise<T>;
  /** Resolves when the deploy in progress may have ended (or after a while, to ask anyway). */
  ended(): Promise<void>;
  /** Told each time the deploy is refused because another runs: the API's refusal. */
  onWaiting(refusal: ApiError): void;
  /** Whether the user stopped waiting. */
  stopped(): boolean;
  now?: () => number;
  limitMs?: number;
}

export async function deployWhenFree<T>(w: WaitingDeploy<T>): Promise<T> {
  const now = w.now ?? Date.now;
  const until = now() + (w.limitMs ?? WAIT_LIMIT_MS);
  for (;;) {
    try {
      return await w.send();
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'SLW_DEPLOY_IN_PROGRESS' || now() > until) throw error;
      w.onWaiting(error);
      await w.ended();
      if (w.stopped()) throw new ApiError(STOPPED, 'stopped waiting: nothing was deployed', 0);
    }
  }
}
