/**
 * One site of a herd upgrade, one step further: what each step waits for, and the write that
 * moves it on. Every effect is recorded in the write that moves the site (the deployment it
 * requested, the rollback, the backups), so a crash at any point repeats at most an idempotent
 * action (a dump, a restore) and never starts a second deploy of the site.
 *
 * - backup: a dump of each attached data service, then (staged, first time) the clone step, or
 *   the live deploy of the new version, requested in the transaction that moves the site on;
 * - migrate / deploy: the deployment runs the application's release step (its migration) against
 *   the new image, then switches; a failure of either fails the site;
 * - bake: the deployment's health gate (the herd's `--bake`, or the environment's own gate);
 * - reverting: back to the release it ran (unless traffic never moved), then its backups restored.
 *
 * @module
 */
import type { SiteStep } from '../core/herd.js';
import { currentRelease, requestDeploy } from '../deploy/deployments.js';
import { environmentAccess } from '../deploy/engine.js';
import { restoreSnapshot } from '../deploy/promotions.js';
import { projectManifest } from '../pipelines/manifest-read.js';
import { nowIso } from '../platform/time.js';
import type { SecretVersions } from '../secrets/secrets.js';
import { listAttachments } from '../services/attachments.js';
import { createBackup, restoreBackup } from '../services/backups.js';
import { isDataKind } from '../core/services.js';
import type { HerdUpgradesTable } from '../store/schema.js';
import { cloneStep, rejectStep, removeClone } from './staged.js';
import { appendSiteEvent, actorOfUpgrade, failSite, moveSite, sayOnce, type SiteBackup, type SiteContext, type UpgradeSite } from './site-store.js';

export type { SiteContext, UpgradeSite } from './site-store.js';
export { appendSiteEvent } from './site-store.js';
import type { UpgradeOptions } from './upgrades.js';

export async function advanceSite(ctx: SiteContext, upgrade: HerdUpgradesTable, options: UpgradeOptions, site: UpgradeSite): Promise<void> {
  switch (site.step as SiteStep) {
    case 'backup':
      return backupStep(ctx, upgrade, site);
    case 'clone':
      return cloneStep(ctx, upgrade, site);
    case 'rejecting':
      return rejectStep(ctx, site);
    case 'migrate':
    case 'deploy':
      return deployStep(ctx, upgrade, options, site);
    case 'bake':
      return bakeStep(ctx, upgrade, options, site);
    case 'reverting':
      return revertStep(ctx, upgrade, site);
    default:
      return;
  }
}

/** Dumps each attached data service of the site (custom services have no dump: said in the log). */
export async function backupSite(ctx: SiteContext, environmentId: string, upgradeId: string, log: (message: string) => Promise<void>): Promise<SiteBackup[]> {
  const access = await environmentAccess(ctx.db, environmentId);
  const out: SiteBackup[] = [];
  for (const a of await listAttachments(ctx.db, access)) {
    if (a.state !== 'attached') continue;
    if (!isDataKind(a.kind)) {
      await log(`${a.service} is a custom service: no backup of it is made`);
      continue;
    }
    const b = await createBackup(ctx.backups, access, a.service, a.as, { trigger: 'upgrade', reason: `herd upgrade ${upgradeId}` });
    out.push({ service: a.service, as: a.as, backupId: b.id });
    await log(`backed up ${a.service}${a.as ? ` as ${a.as}` : ''}: backup ${b.id} (${b.size} bytes)`);
  }
  return out;
}

async function backupStep(ctx: SiteContext, upgrade: HerdUpgradesTable, site: UpgradeSite): Promise<void> {
  const log = (message: string) => appendSiteEvent(ctx.db, upgrade.id, site.environment_id, 'backup', message);
  const access = await environmentAccess(ctx.db, site.environment_id);
  // What runs now is what a revert returns to (the site may have moved since the plan was made).
  const current = await currentRelease(ctx.db, site.environment_id);
  let backups = JSON.parse(site.backups) as SiteBackup[];
  if (backups.length === 0) {
    backups = await backupSite(ctx, site.environment_id, upgrade.id, log);
    if (backups.length > 0) await ctx.db.updateTable('herd_upgrade_sites').set({ backups: JSON.stringify(backups) }).where('upgrade_id', '=', upgrade.id).where('environment_id', '=', site.environment_id).where('step', '=', 'backup').execute();
  }
  const fromRelease = current?.number ?? null;
  const fromVersion = current?.version_tag ?? null;
  if (site.policy === 'staged' && site.clone_environment_id === null) {
    if (await moveSite(ctx.db, site, 'backup', 'clone', { from_release: fromRelease, from_version: fromVersion })) await log(`staged site: making a clone on ${upgrade.to_version} with a copy of its data`);
    return;
  }
  const manifest = await projectManifest(ctx.db, access.project.id);
  const next: SiteStep = manifest?.release ? 'migrate' : 'deploy';
  try {
    await requestDeploy(ctx.db, access, { imageDigest: upgrade.to_digest, version: upgrade.to_version, trigger: 'herd-wave', actor: actorOfUpgrade(upgrade) }, async (tx, requested) => {
      if (!(await moveSite(tx, site, 'backup', next, { deployment_id: requested.deployment.id, from_release: fromRelease, from_version: fromVersion }))) throw new Error('the site moved on meanwhile');
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SLW_DEPLOY_IN_PROGRESS') {
      await sayOnce(ctx.db, upgrade.id, site.environment_id, 'backup', 'waiting: another deployment of the site is in progress');
      return;
    }
    throw error;
  }
  ctx.enqueueDeploy(site.environment_id);
  await appendSiteEvent(ctx.db, upgrade.id, site.environment_id, next, next === 'migrate' ? `deploying ${upgrade.to_version}: its release step (the migration) runs first` : `deploying ${upgrade.to_version}`);
}

async function deployStep(ctx: SiteContext, upgrade: HerdUpgradesTable, options: UpgradeOptions, site: UpgradeSite): Promise<void> {
  if (site.deployment_id === null) return failSite(ctx, site, 'no deployment was recorded');
  const d = await ctx.db.selectFrom('deployments').select(['status', 'phase', 'error']).where('id', '=', site.deployment_id).executeTakeFirst();
  if (!d) return failSite(ctx, site, `deployment ${site.deployment_id} is gone`);
  const step = site.step as SiteStep;
  if (d.status === 'succeeded') {
    const gate = await ctx.db.selectFrom('health_gates').select('config').where('deployment_id', '=', site.deployment_id).executeTakeFirst();
    if (gate) {
      const bake = (JSON.parse(gate.config) as { bakeSeconds: number }).bakeSeconds;
      if (await moveSite(ctx.db, site, step, 'bake')) await appendSiteEvent(ctx.db, upgrade.id, site.environment_id, 'bake', `${upgrade.to_version} serves; baking for ${bake} s (health gate)`);
      return;
    }
    return finishSite(ctx, upgrade, site, step, `${upgrade.to_version} serves${options.bakeSeconds === 0 ? '' : ' (no bake: the deployment opened no health gate)'}`);
  }
  if (d.status === 'failed' || d.status === 'cancelled') {
    return failSite(ctx, site, `${d.phase === 'release' || step === 'migrate' ? 'the migration (release step) or deploy' : 'the deploy'} ${d.status}: ${d.error ?? 'no reason given'}`);
  }
  if (step === 'migrate' && d.phase !== 'release' && d.phase !== 'queued' && d.phase !== 'prepare') {
    if (await moveSite(ctx.db, site, 'migrate', 'deploy')) await appendSiteEvent(ctx.db, upgrade.id, site.environment_id, 'deploy', 'the migration passed; switching traffic');
  }
}

async function bakeStep(ctx: SiteContext, upgrade: HerdUpgradesTable, _options: UpgradeOptions, site: UpgradeSite): Promise<void> {
  const gate = await ctx.db.selectFrom('health_gates').select(['status', 'reason', 'rollback_deployment_id']).where('deployment_id', '=', site.deployment_id ?? '').executeTakeFirst();
  if (!gate || gate.status === 'passed') return finishSite(ctx, upgrade, site, 'bake', `${upgrade.to_version} passed its bake`);
  if (gate.status === 'failed') return failSite(ctx, site, `the health gate failed: ${gate.reason ?? 'no reason given'}`, gate.rollback_deployment_id);
  if (gate.status === 'cancelled') return failSite(ctx, site, `the bake ended early: ${gate.reason ?? 'another release replaced it'}`);
}

/** The site runs the new version: a staged site's clone goes, then it is done. */
async function finishSite(ctx: SiteContext, upgrade: HerdUpgradesTable, site: UpgradeSite, from: SiteStep, message: string): Promise<void> {
  if (site.clone_environment_id !== null) await removeClone(ctx, site);
  if (await moveSite(ctx.db, site, from, 'done', { clone_environment_id: null })) await appendSiteEvent(ctx.db, upgrade.id, site.environment_id, 'done', message);
}

async function revertStep(ctx: SiteContext, upgrade: HerdUpgradesTable, site: UpgradeSite): Promise<void> {
  const log = (message: string) => appendSiteEvent(ctx.db, upgrade.id, site.environment_id, 'reverting', message);
  if (site.revert_deployment_id === null) {
    const current = await currentRelease(ctx.db, site.environment_id);
    const moved = site.from_release !== null && current !== undefined && current.number !== site.from_release && current.image_digest === upgrade.to_digest;
    if (moved) {
      const access = await environmentAccess(ctx.db, site.environment_id);
      const release = await ctx.db.selectFrom('releases').selectAll().where('environment_id', '=', site.environment_id).where('number', '=', site.from_release!).executeTakeFirstOrThrow();
      const request = { imageDigest: release.image_digest, version: release.version_tag, trigger: 'rollback' as const, actor: actorOfUpgrade(upgrade), configVersion: release.config_version, secretVersions: JSON.parse(release.secret_versions) as SecretVersions, supersede: true };
      await requestDeploy(ctx.db, access, request, async (tx, requested) => {
        await restoreSnapshot(tx, ctx.keyring, access, request, requested.release.number);
        const r = await tx.updateTable('herd_upgrade_sites').set({ revert_deployment_id: requested.deployment.id }).where('upgrade_id', '=', site.upgrade_id).where('environment_id', '=', site.environment_id).where('step', '=', 'reverting').where('revert_deployment_id', 'is', null).executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw new Error('the site moved on meanwhile');
      });
      ctx.enqueueDeploy(site.environment_id);
      await log(`rolling back to release #${release.number} (${release.version_tag ?? release.image_digest})`);
      return;
    }
    return restoreSite(ctx, upgrade, site, log);
  }
  const d = await ctx.db.selectFrom('deployments').select(['status', 'error']).where('id', '=', site.revert_deployment_id).executeTakeFirst();
  if (d && (d.status === 'queued' || d.status === 'running' || d.status === 'cancelling')) return;
  if (!d || d.status !== 'succeeded') {
    if (await moveSite(ctx.db, site, 'reverting', 'revert-failed', { error: `${site.error ?? ''}; the rollback ${d ? d.status : 'is gone'}: ${d?.error ?? ''}`.slice(0, 1000) })) await log('the rollback failed; the site needs an operator (slipway rollback, slipway service restore)');
    return;
  }
  return restoreSite(ctx, upgrade, site, log);
}

/** Restores the backups taken before the upgrade touched the live site (not when only its clone was touched). */
async function restoreSite(ctx: SiteContext, upgrade: HerdUpgradesTable, site: UpgradeSite, log: (m: string) => Promise<void>): Promise<void> {
  if (site.clone_environment_id !== null) await removeClone(ctx, site);
  const live = site.deployment_id !== null && (await ctx.db.selectFrom('deployments').select('environment_id').where('id', '=', site.deployment_id).executeTakeFirst())?.environment_id === site.environment_id;
  const backups = JSON.parse(site.backups) as SiteBackup[];
  if (live && backups.length > 0) {
    const access = await environmentAccess(ctx.db, site.environment_id);
    for (const b of backups) {
      try {
        await restoreBackup(ctx.backups, access, b.service, b.as, b.backupId);
        await log(`restored ${b.service}${b.as ? ` as ${b.as}` : ''} from backup ${b.backupId}`);
      } catch (error) {
        if (await moveSite(ctx.db, site, 'reverting', 'revert-failed', { error: `${site.error ?? ''}; restoring backup ${b.backupId} failed: ${(error as Error).message}`.slice(0, 1000), clone_environment_id: null })) await log(`restoring ${b.backupId} failed: ${(error as Error).message}`);
        return;
      }
    }
  }
  if (await moveSite(ctx.db, site, 'reverting', 'reverted', { clone_environment_id: null })) await log(`reverted: back on ${site.from_version ?? 'its previous release'}${live && backups.length > 0 ? ' with its data as before the upgrade' : ''}`);
}
