/**
 * The `continuous` policy: a site that follows its channel's latest version is upgraded as soon
 * as a newer one is known (imported from the upstream, or built into the project), inside its
 * maintenance window. Checked periodically (and after each upstream poll): for each application
 * with continuous sites behind their channel's latest and no upgrade running, one herd upgrade
 * (trigger `continuous`) of exactly those sites whose window is open now, moving as the
 * application's continuous options say (core/continuous.ts: `slipway app set --continuous-…`).
 *
 * @module
 */
import { isSlipwayError } from '../core/errors.js';
import { compareSemVer, latestOf, parseSemVer } from '../core/semver.js';
import { syncProjectVersions } from '../apps/applications.js';
import { siteRows } from '../apps/site-rows.js';
import type { Db } from '../store/schema.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { continuousOf, type ContinuousOptions } from '../core/continuous.js';
import { startHerdUpgrade, type UpgradeInput, type WindowCheck } from './upgrades.js';


/**
 * A herd upgrade's options for an automatic upgrade of `sites` sites: a budget given as a
 * number above the sites behind tolerates all of them (a herd upgrade refuses a budget above its
 * site count; an automatic one covers whichever sites are behind at the time).
 */
export function continuousUpgradeInput(options: ContinuousOptions, sites: number): Omit<UpgradeInput, 'to' | 'names'> {
  const budget = /^\d+$/.test(options.failureBudget) && Number(options.failureBudget) > sites ? String(sites) : options.failureBudget;
  return { canary: options.canary, batch: options.batch, parallel: options.parallel, bake: options.bakeSeconds, failureBudget: budget };
}

export interface PolicyContext {
  db: Db;
  windowOpen(cron: string, at: Date): boolean;
  checkWindow: WindowCheck;
}

/** Starts the upgrades the continuous policy calls for now; returns their ids. */
export async function startContinuousUpgrades(ctx: PolicyContext, now = new Date()): Promise<string[]> {
  const apps = await ctx.db
    .selectFrom('applications as a')
    .where((eb) => eb.exists(eb.selectFrom('sites as s').select('s.environment_id').whereRef('s.application_id', '=', 'a.id').where('s.policy', '=', 'continuous')))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('herd_upgrades as u').select('u.id').whereRef('u.active_key', '=', 'a.id'))))
    .selectAll('a')
    .execute();
  const started: string[] = [];
  for (const app of apps) {
    await syncProjectVersions(ctx.db, app);
    const tags = (await ctx.db.selectFrom('application_versions').select('tag').where('application_id', '=', app.id).execute()).map((r) => r.tag);
    const behind = new Map<string, string[]>();
    for (const site of await siteRows(ctx.db, app.id)) {
      if (site.policy !== 'continuous' || (site.window !== null && !ctx.windowOpen(site.window, now))) continue;
      // A site that runs nothing yet (made with --no-deploy, being set up) waits for its first deploy.
      if (site.version === null) continue;
      const latest = latestOf(tags, site.channel);
      const current = parseSemVer(site.version);
      if (!latest || (current && compareSemVer(current, latest) >= 0)) continue;
      behind.set(latest.tag, [...(behind.get(latest.tag) ?? []), site.name]);
    }
    // One upgrade per application at a time: the highest target first, the others at a later check.
    // A version whose automatic upgrade halted or was aborted is not tried again by itself (it
    // would fail the same way, over and over): an admin resumes that upgrade, or starts one.
    const given = new Set((await ctx.db.selectFrom('herd_upgrades').select('to_version').where('application_id', '=', app.id).where('trigger', '=', 'continuous').where('state', 'in', ['halted', 'aborted']).execute()).map((r) => r.to_version));
    const [to, names] = [...behind.entries()].filter(([v]) => !given.has(v)).sort((a, b) => compareSemVer(parseSemVer(b[0])!, parseSemVer(a[0])!))[0] ?? [];
    if (!to || !names) continue;
    const workspace = await ctx.db.selectFrom('workspaces').selectAll().where('id', '=', app.workspace_id).executeTakeFirstOrThrow();
    const access: WorkspaceAccess = { principal: { userId: 'system', tokenId: 'system', email: 'system', instanceAdmin: false, scope: null }, role: 'owner', workspace: { id: workspace.id, name: workspace.name, tier: workspace.tier, createdAt: workspace.created_at, updatedAt: workspace.updated_at } };
    try {
      const row = await startHerdUpgrade(ctx.db, access, app, { ...continuousUpgradeInput(continuousOf(app.continuous_options), names.length), to, names }, 'continuous', ctx.checkWindow);
      started.push(row.id);
    } catch (error) {
      // Another server started one first, or the sites moved meanwhile: the next check sees.
      if (!isSlipwayError(error)) throw error;
    }
  }
  return started;
}
