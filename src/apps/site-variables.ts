/**
 * What a site's workloads and jobs learn about the site: `SLIPWAY_APPLICATION`, `SLIPWAY_SITE`
 * and one `SLIPWAY_SITE_LABEL_<KEY>` per label, read when the workload or job starts (so a label
 * change reaches the site at its next deploy or job run). The deploy context adds them over the
 * environment's config (core/sites.ts names them).
 *
 * @module
 */
import { labelVariable } from '../core/sites.js';
import type { Executor } from '../store/schema.js';

/** The site variables of an environment (a staged site's clone poses as its site); empty when it is neither. */
export async function siteVariables(db: Executor, environmentId: string): Promise<Record<string, string>> {
  const clone = await db.selectFrom('herd_upgrade_sites').select('environment_id').where('clone_environment_id', '=', environmentId).executeTakeFirst();
  const siteId = clone?.environment_id ?? environmentId;
  const row = await db
    .selectFrom('sites as s')
    .innerJoin('applications as a', 'a.id', 's.application_id')
    .select(['s.name', 's.labels', 'a.name as application'])
    .where('s.environment_id', '=', siteId)
    .executeTakeFirst();
  if (!row) return {};
  const env: Record<string, string> = { SLIPWAY_APPLICATION: row.application, SLIPWAY_SITE: row.name };
  for (const [key, value] of Object.entries(JSON.parse(row.labels) as Record<string, string>)) env[labelVariable(key)] = value;
  return env;
}
