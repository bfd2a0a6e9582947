/**
 * Herd upgrades on the workspace change stream (`kind: upgrade`): whenever an upgrade's state
 * changes, or one of its sites moves a step or logs a line ({@link herdBus} `changed` or
 * `wake`), the upgrade is announced with its state as stored then. Coalesced per upgrade: at
 * most one announcement every 250 ms (a 30-site upgrade moves a site every few milliseconds at
 * times; a reader refetches the upgrade on each, and four a second is live enough to watch),
 * and the one after the last signal reads the state the upgrade ended in, so the final state is
 * always announced — once. The server that stores a change announces it (on PostgreSQL it is
 * relayed to the other control planes' streams: src/deploy/change-relay.ts).
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

/**
 * Announces upgrade `id` as it is stored now (nothing when it is gone). `ended` remembers the
 * finished upgrades announced (id → state and end): a finished upgrade is announced once, not
 * again by a flush that a signal of the same last reconcile asked for.
 */
export async function announceUpgrade(db: Executor, id: string, ended?: Map<string, string>): Promise<void> {
  const u = await db
    .selectFrom('herd_upgrades as u')
    .innerJoin('applications as a', 'a.id', 'u.application_id')
    .select(['u.workspace_id', 'u.state', 'u.finished_at', 'a.name'])
    .where('u.id', '=', id)
    .executeTakeFirst();
  if (!u) return;
  const end = u.finished_at === null ? null : `${u.state} ${u.finished_at}`;
  if (ended) {
    if (end !== null && ended.get(id) === end) return;
    ended.delete(id);
    if (end !== null) {
      ended.set(id, end);
      // Bounded: an upgrade is signalled again within 250 ms of its end, not hours later.
      if (ended.size > 1000) ended.delete(ended.keys().next().value!);
    }
  }
  announceChange(u.workspace_id, { kind: 'upgrade', id, application: u.name, status: u.state as HerdState, finished: end !== null });
}

/** The coalescing announcer of this process's upgrades; `touch(id)` on every change. */
export function upgradeAnnouncer(db: Executor, logger: Logger, everyMs = upgradeAnnounceMs): Coalescer<string> {
  const ended = new Map<string, string>();
  return new Coalescer<string>({ everyMs, flush: (id) => announceUpgrade(db, id, ended), onError: (id, error) => logger.warn({ err: error, upgrade: id }, 'herd upgrade: announcing a change failed') });
}
