/**
 * Herd upgrades on the workspace change stream (`kind: upgrade`): whenever an upgrade's state
 * changes, or one of its sites moves a step or logs a line ({@link herdBus} `changed` or
 * `wake`), the upgrade is announced with its state as stored then. Coalesced per upgrade: at
 * most one announcement every 250 ms (a 30-site upgrade moves a site every few milliseconds at
 * times; a reader refetches the upgrade on each, and four a second is live enough to watch),
 * and the one after the last signal reads the state the upgrade ended in, so the final state is
 * always announced. In-process, like the stream: the server that stores a change announces it.
 *
 * @module
 */
import type { Logger } from 'pino';
import { announceChange } from '../deploy/events.js';
import type { HerdState } from '../core/herd.js';
import { Coalescer } from '../platform/coalesce.js';
import type { Executor } from '../store/schema.js';

/** The least time between two announcements of one upgrade. */
export const upgradeAnnounceMs = 250;

/** Announces upgrade `id` as it is stored now (nothing when it is gone). */
export async function announceUpgrade(db: Executor, id: string): Promise<void> {
  const u = await db
    .selectFrom('herd_upgrades as u')
    .innerJoin('applications as a', 'a.id', 'u.application_id')
    .select(['u.workspace_id', 'u.state', 'u.finished_at', 'a.name'])
    .where('u.id', '=', id)
    .executeTakeFirst();
  if (u) announceChange(u.workspace_id, { kind: 'upgrade', id, application: u.name, status: u.state as HerdState, finished: u.finished_at !== null });
}

/** The coalescing announcer of this process's upgrades; `touch(id)` on every change. */
export function upgradeAnnouncer(db: Executor, logger: Logger, everyMs = upgradeAnnounceMs): Coalescer<string> {
  return new Coalescer<string>({ everyMs, flush: (id) => announceUpgrade(db, id), onError: (id, error) => logger.warn({ err: error, upgrade: id }, 'herd upgrade: announcing a change failed') });
}
