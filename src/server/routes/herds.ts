/** Routes: herd upgrades of an application's sites. */
import { applicationParam } from '../../api/applications.js';
import { abortBody, herdPlanSchema, herdSiteEventsSchema, herdUpgradeBody, herdUpgradeListSchema, herdUpgradeSchema, upgradeParam, upgradeSiteParam } from '../../api/herds.js';
import { findApplication } from '../../apps/applications.js';
import { parseCron } from '../../core/cron.js';
import { abortUpgrade, decideStagedSite, findUpgrade, listUpgrades, pauseUpgrade, planHerdUpgrade, resumeUpgrade, siteEvents, startHerdUpgrade, upgradeSummaries, upgradeView, type UpgradeInput } from '../../herds/upgrades.js';
import { defineRoute } from '../http/route.js';

const apps = '/api/v1/workspaces/{workspace}/applications/{application}/upgrades';
const upgrades = '/api/v1/workspaces/{workspace}/upgrades/{upgrade}';
const checkWindow = (cron: string) => void parseCron(cron);

const input = (body: { to: string; sites?: string | undefined; canary?: number | undefined; batch?: string | undefined; parallel?: number | undefined; bake?: string | undefined; failureBudget?: string | undefined; window?: string | undefined; allowDowngrade?: boolean | undefined }): UpgradeInput => ({
  to: body.to,
  sites: body.sites ?? null,
  canary: body.canary,
  batch: body.batch,
  parallel: body.parallel,
  bake: body.bake,
  failureBudget: body.failureBudget,
  window: body.window ?? null,
  allowDowngrade: body.allowDowngrade,
});

export const herdRoutes = [
  defineRoute({
    method: 'POST',
    path: `${apps}/plan`,
    operationId: 'planHerdUpgrade',
    summary: 'The waves an upgrade would move the sites in (canaries, batches), without starting it',
    tag: 'herds',
    scope: 'workspace',
    // Whoever may start an upgrade may see its plan first (a POST: the walks hold every POST to a writer's role).
    permission: 'promotion.approve',
    params: applicationParam,
    body: herdUpgradeBody,
    response: herdPlanSchema,
    handler: async ({ deps, access, params, body }) => {
      const app = await findApplication(deps.db, access, params.application);
      const { plan, options } = await planHerdUpgrade(deps.db, app, input(body), checkWindow);
      return { application: app.name, to: plan.to, waves: plan.waves, skipped: plan.skipped, failureBudget: plan.failureBudget, options };
    },
  }),
  defineRoute({
    method: 'POST',
    path: apps,
    operationId: 'startHerdUpgrade',
    summary: "Upgrade the application's sites to a version in waves: each site backed up, migrated (the release step), deployed and baked; a failed site is reverted and counts against the failure budget",
    tag: 'herds',
    scope: 'workspace',
    permission: 'promotion.approve',
    status: 201,
    params: applicationParam,
    body: herdUpgradeBody,
    response: herdUpgradeSchema,
    handler: async ({ deps, access, params, body }) => {
      const app = await findApplication(deps.db, access, params.application);
      const row = await startHerdUpgrade(deps.db, access, app, input(body), 'manual', checkWindow);
      return upgradeView(deps.db, row);
    },
  }),
  defineRoute({
    method: 'GET',
    path: apps,
    operationId: 'listHerdUpgrades',
    summary: "The application's herd upgrades, newest first",
    tag: 'herds',
    scope: 'workspace',
    permission: 'release.read',
    params: applicationParam,
    response: herdUpgradeListSchema,
    handler: async ({ deps, access, params }) => {
      const app = await findApplication(deps.db, access, params.application);
      return { upgrades: await upgradeSummaries(deps.db, await listUpgrades(deps.db, app)) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: upgrades,
    operationId: 'getHerdUpgrade',
    summary: "One herd upgrade: its state, each wave's progress and each site's step",
    tag: 'herds',
    scope: 'workspace',
    permission: 'release.read',
    params: upgradeParam,
    response: herdUpgradeSchema,
    handler: async ({ deps, access, params }) => upgradeView(deps.db, await findUpgrade(deps.db, access, params.upgrade)),
  }),
  ...(['pause', 'resume'] as const).map((verb) =>
    defineRoute({
      method: 'POST',
      path: `${upgrades}/${verb}`,
      operationId: `${verb}HerdUpgrade`,
      summary: verb === 'pause' ? 'Start no more sites (those in flight finish)' : 'Go on with a paused upgrade, or a halted one (its failed sites are tried again, with the failure budget afresh)',
      tag: 'herds',
      scope: 'workspace',
      permission: 'promotion.approve',
      params: upgradeParam,
      response: herdUpgradeSchema,
      handler: async ({ deps, access, params }) => upgradeView(deps.db, verb === 'pause' ? await pauseUpgrade(deps.db, access, params.upgrade) : await resumeUpgrade(deps.db, access, params.upgrade)),
    }),
  ),
  defineRoute({
    method: 'POST',
    path: `${upgrades}/abort`,
    operationId: 'abortHerdUpgrade',
    summary: 'End the upgrade: no more sites start, sites in flight finish; with revert, finished sites go back too',
    tag: 'herds',
    scope: 'workspace',
    permission: 'promotion.approve',
    params: upgradeParam,
    body: abortBody,
    response: herdUpgradeSchema,
    handler: async ({ deps, access, params, body }) => upgradeView(deps.db, await abortUpgrade(deps.db, access, params.upgrade, body.revert ?? false)),
  }),
  ...(['approve', 'reject'] as const).map((verb) =>
    defineRoute({
      method: 'POST',
      path: `${upgrades}/sites/{site}/${verb}`,
      operationId: `${verb}StagedSite`,
      summary: verb === 'approve' ? "Cut a staged site over to the version its clone runs (then the clone is removed)" : 'Keep a staged site on its version and remove its clone',
      tag: 'herds',
      scope: 'workspace',
      permission: 'promotion.approve',
      params: upgradeSiteParam,
      response: herdUpgradeSchema,
      handler: async ({ deps, access, params }) => upgradeView(deps.db, await decideStagedSite(deps.db, access, params.upgrade, params.site, verb)),
    }),
  ),
  defineRoute({
    method: 'GET',
    path: `${upgrades}/sites/{site}/events`,
    operationId: 'herdSiteEvents',
    summary: "One site's step log in the upgrade",
    tag: 'herds',
    scope: 'workspace',
    permission: 'release.read',
    params: upgradeSiteParam,
    response: herdSiteEventsSchema,
    handler: async ({ deps, access, params }) => ({ upgrade: params.upgrade, site: params.site, ...(await siteEvents(deps.db, access, params.upgrade, params.site)) }),
  }),
];
