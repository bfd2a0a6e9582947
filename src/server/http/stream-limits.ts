/**
 * A cap on the server-sent event streams one API token holds open at once (change streams,
 * deploy logs, runtime logs): each stream costs a socket, timers and listeners for as long as
 * the client stays, so one token must not be able to open them without bound. Beyond the cap
 * the request is refused with 429 `SLW_TOO_MANY_STREAMS` before the stream starts. The count
 * is per server process (SLIPWAY_MAX_STREAMS_PER_TOKEN, default 20).
 *
 * @module
 */
import { SlipwayError } from '../../core/errors.js';
import type { ServerDeps } from '../deps.js';

/** Streams one token may hold open at once unless the server says otherwise. */
export const defaultMaxStreamsPerToken = 20;

/** Open streams per token, per server (its deps object). */
const openByServer = new WeakMap<object, Map<string, number>>();

/** Takes a stream slot for `tokenId` or throws `SLW_TOO_MANY_STREAMS`; returns its release (idempotent). */
export function acquireStream(deps: Pick<ServerDeps, 'maxStreamsPerToken'>, tokenId: string): () => void {
  const max = deps.maxStreamsPerToken ?? defaultMaxStreamsPerToken;
  let open = openByServer.get(deps);
  if (!open) openByServer.set(deps, (open = new Map()));
  const counts = open;
  const n = counts.get(tokenId) ?? 0;
  if (n >= max) {
    throw new SlipwayError('SLW_TOO_MANY_STREAMS', `this API token already holds ${n} open event streams, the most one token may (SLIPWAY_MAX_STREAMS_PER_TOKEN=${max}); close one first, or use another token`);
  }
  counts.set(tokenId, n + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (counts.get(tokenId) ?? 1) - 1;
    if (left > 0) counts.set(tokenId, left);
    else counts.delete(tokenId);
  };
}

/** Runs a stream (a promise that settles when it ends) inside a slot of the caller's token. */
export async function withStreamSlot<T>(deps: Pick<ServerDeps, 'maxStreamsPerToken'>, tokenId: string, stream: () => Promise<T>): Promise<T> {
  const release = acquireStream(deps, tokenId);
  try {
    return await stream();
  } finally {
    release();
  }
}
