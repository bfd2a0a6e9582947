/**
 * The one rule site removal shares with herd upgrades: a site of an application whose herd
 * upgrade is running or paused (its `active_key` is set) is not removed, whether through
 * `site remove` or `env delete`, since the upgrade holds a plan with that site in it.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import type { Executor } from '../store/schema.js';

/** Throws SLW_HERD_BUSY when the environment is a site of an application with an active herd upgrade. */
export async function assertNoActiveUpgrade(db: Executor, environmentId: string): Promise<void> {
  const active = await db
    .selectFrom('sites as s')
    .innerJoin('herd_upgrades as h', 'h.application_id', 's.application_id')
    .innerJoin('applications as a', 'a.id', 's.application_id')
    .select(['h.id', 'h.state', 'h.to_version', 's.name', 'a.name as application'])
    .where('s.environment_id', '=', environmentId)
    .where('h.active_key', 'is not', null)
    .executeTakeFirst();
  if (active) {
    throw new SlipwayError('SLW_HERD_BUSY', `site '${active.name}' belongs to application '${active.application}', whose herd upgrade ${active.id} to ${active.to_version} is ${active.state}; remove the site once it has ended (or abort it: slipway herd abort ${active.id})`);
  }
}
