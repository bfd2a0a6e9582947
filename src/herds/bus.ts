/**
 * The herd context's in-process signals, both with an upgrade id:
 *
 * - `wake`: an operator (or the continuous policy) stored a change to an upgrade — started,
 *   paused, resumed, aborted, a site decided: the runner looks at it at once, and the change is
 *   announced;
 * - `changed`: the runner stored a change — the upgrade's state, or a site's step or log line:
 *   announced on the workspace change stream (coalesced, src/herds/changes.ts).
 *
 * Emitted after the change is committed, so whoever reads on a signal sees it.
 */
import { EventEmitter } from 'node:events';

export const herdBus = new EventEmitter();
herdBus.setMaxListeners(0);

/** Says that upgrade `id` changed (outside a transaction: after its commit). */
export function upgradeChanged(id: string): void {
  herdBus.emit('changed', id);
}
