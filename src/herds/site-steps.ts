/**
 * One site of a herd upgrade, one step further: what each step waits for, and the write that
 * moves it on. Every effect is recorded in the write that moves the site (the deployment it
 * requested, the rollback, the backups), so a crash at any point repeats at most an idempotent
 * action (a dump, a restore) and never starts a second deploy of the site.
 *
 * - backup: a dump of each attached data service and a backup of each volume, then (staged,
 *   first time) the clone step, or
 *   the live deploy of the new version, requested in the transaction that moves the site on;
 * - migrate / deploy: the deployment runs the application's release step (its migration) against
 *   the new image, then switches; a failure of either fails the site;
 * - bake: the deployment's health gate (the herd's `--bake`, or the environment's own gate);
 * - reverting: its volumes' backups into new generations, back to the release it ran (or, when
 *   traffic never moved, a redeploy that mounts those generations), then its services' backups restored.
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
import { SlipwayError } from '../core/errors.js';
import { isDataKind } from '../core/services.js';
import { parseStoredVolumes } from '../core/volumes.js';
import { storedSettings } from '../deploy/settings.js';
import { createVolumeBackup } from '../volumes/backups.js';
import { restoreIntoNewGeneration } from '../volumes/restore.js';
import type { HerdUpgradesTable, ReleasesTable } from '../store/schema.js';
import { cloneStep, rejectStep, removeClone } from './staged.js';
import { appendSiteEvent, actorOfUpgrade, failSite, moveSite, sayOnce, siteBackups, type SiteBackup, type SiteContext, type UpgradeSite } from './site-store.js';

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

/**
 * Dumps each attached data service of the site (custom services have no dump: said in the log),
 * then backs up each volume it declares, as the running release mounts it (a site that runs
 * nothing, or runs where Slipway cannot reach volumes, goes on without: said in the log).
 */
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
  const volumes = (await storedSettings(ctx.db, environmentId)).volumes ?? [];
  if (volumes.length === 0) return out;
  const running = await currentRelease(ctx.db, environmentId);
  if (!ctx.volumes || !running) {
    await log(`volume(s) ${volumes.map((v) => v.name).join(', ')} not backed up: ${running ? 'this server reaches no volume' : 'the site runs nothing yet'}`);
    return out;
  }
  for (const v of volumes) {
    try {
      const b = await createVolumeBackup(ctx.volumes, access, v.name, 'upgrade');
      out.push({ volume: v.name, generation: b.generation, backupId: b.id });
      await log(`backed up volume ${v.name}: backup ${b.id} (${b.size} bytes)`);
    } catch (error) {
      if ((error as { code?: string }).code !== 'SLW_VOLUME_TRANSFER_UNSUPPORTED') throw error;
      await log(`volume ${v.name} not backed up: ${(error as Error).message}`);
    }
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

/**
 * Reverting a failed site: its volumes' backups go into new generations first (so the deploy that
 * follows mounts them), then, if traffic moved to the new version, a rollback to the release it
 * ran; if it did not but a restored volume is not mounted yet (the migration may have written the
 * old one), a redeploy of the release that runs; then its services' backups are restored.
 * A health gate's own rollback (already recorded) ran before the volumes were restored: once it
 * ended, the same happens (restore, redeploy), then the services.
 */
async function revertStep(ctx: SiteContext, upgrade: HerdUpgradesTable, site: UpgradeSite): Promise<void> {
  const log = (message: string) => appendSiteEvent(ctx.db, upgrade.id, site.environment_id, 'reverting', message);
  if (site.revert_deployment_id === null) {
    const volumes = await restoreSiteVolumes(ctx, site, log);
    const current = await currentRelease(ctx.db, site.environment_id);
    const moved = site.from_release !== null && current !== undefined && current.number !== site.from_release && current.image_digest === upgrade.to_digest;
    if (moved) {
      const release = await ctx.db.selectFrom('releases').selectAll().where('environment_id', '=', site.environment_id).where('number', '=', site.from_release!).executeTakeFirstOrThrow();
      await requestRevert(ctx, upgrade, site, release, null);
      await log(`rolling back to release #${release.number} (${release.version_tag ?? release.image_digest})${volumes === 'none' ? '' : ', mounting the restored volume(s)'}`);
      return;
    }
    if (volumes === 'unmounted' && current) {
      await requestRevert(ctx, upgrade, site, current, null);
      await log(`redeploying release #${current.number} to mount the restored volume(s)`);
      return;
    }
    return restoreSite(ctx, upgrade, site, log);
  }
  const d = await ctx.db.selectFrom('deployments').select(['status', 'error']).where('id', '=', site.revert_deployment_id).executeTakeFirst();
  if (d && (d.status === 'queued' || d.status === 'running' || d.status === 'cancelling')) return;
  if (!d || d.status !== 'succeeded') {
    if (await moveSite(ctx.db, site, 'reverting', 'revert-failed', { error: `${site.error ?? ''}; the rollback ${d ? d.status : 'is gone'}: ${d?.error ?? ''}`.slice(0, 1000) })) await log('the rollback failed; the site needs an operator (slipway rollback, slipway service restore, slipway volume restore)');
    return;
  }
  if ((await restoreSiteVolumes(ctx, site, log)) === 'unmounted') {
    const current = await currentRelease(ctx.db, site.environment_id);
    if (current) {
      await requestRevert(ctx, upgrade, site, current, site.revert_deployment_id);
      await log(`redeploying release #${current.number} to mount the restored volume(s)`);
      return;
    }
  }
  return restoreSite(ctx, upgrade, site, log);
}

/**
 * Requests the revert's deploy of `release` (its config and secrets as they were, the volumes as
 * the settings say now) and records it on the site in the same transaction, provided the site
 * still waits on `after` (none yet, or the deploy before it).
 */
async function requestRevert(ctx: SiteContext, upgrade: HerdUpgradesTable, site: UpgradeSite, release: ReleasesTable, after: string | null): Promise<void> {
  const access = await environmentAccess(ctx.db, site.environment_id);
  const request = { imageDigest: release.image_digest, version: release.version_tag, trigger: 'rollback' as const, actor: actorOfUpgrade(upgrade), configVersion: release.config_version, secretVersions: JSON.parse(release.secret_versions) as SecretVersions, supersede: true };
  await requestDeploy(ctx.db, access, request, async (tx, requested) => {
    await restoreSnapshot(tx, ctx.keyring, access, request, requested.release.number);
    let q = tx.updateTable('herd_upgrade_sites').set({ revert_deployment_id: requested.deployment.id }).where('upgrade_id', '=', site.upgrade_id).where('environment_id', '=', site.environment_id).where('step', '=', 'reverting');
    q = after === null ? q.where('revert_deployment_id', 'is', null) : q.where('revert_deployment_id', '=', after);
    const r = await q.executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new Error('the site moved on meanwhile');
  });
  ctx.enqueueDeploy(site.environment_id);
}

/** Whether the upgrade's deploy (not only its clone's) reached the live site. */
async function touchedLive(ctx: SiteContext, site: UpgradeSite): Promise<boolean> {
  if (site.deployment_id === null) return false;
  return (await ctx.db.selectFrom('deployments').select('environment_id').where('id', '=', site.deployment_id).executeTakeFirst())?.environment_id === site.environment_id;
}

/**
 * Puts each volume backup the upgrade took of the live site into a new generation of its volume,
 * unless the volume is past the backup's generation already (restored by an earlier pass) or no
 * longer declared. Says `unmounted` when a restored generation is not what the running release
 * mounts (a deploy must follow), `none` when there was nothing to restore.
 */
async function restoreSiteVolumes(ctx: SiteContext, site: UpgradeSite, log: (m: string) => Promise<void>): Promise<'none' | 'mounted' | 'unmounted'> {
  const { volumes } = siteBackups(site.backups);
  if (volumes.length === 0 || !(await touchedLive(ctx, site))) return 'none';
  if (!ctx.volumes) throw new SlipwayError('SLW_VOLUME_TRANSFER_UNSUPPORTED', 'this server reaches no volume, so the site\'s volume backups cannot be restored (slipway volume restore on a server that deploys)');
  const access = await environmentAccess(ctx.db, site.environment_id);
  const declared = new Map(((await storedSettings(ctx.db, site.environment_id)).volumes ?? []).map((v) => [v.name, v.generation ?? 0]));
  for (const b of volumes) {
    const now = declared.get(b.volume);
    if (now === undefined) {
      await sayOnce(ctx.db, site.upgrade_id, site.environment_id, 'reverting', `volume ${b.volume} is no longer declared: its backup ${b.backupId} is not restored`);
      continue;
    }
    if (now !== b.generation) continue;
    const restored = await restoreIntoNewGeneration(ctx.volumes, access, b.volume, b.backupId);
    declared.set(b.volume, restored.generation);
    await log(`restored volume ${b.volume} from backup ${b.backupId} into a new generation (${restored.dockerVolume}; the one the new version wrote, ${restored.previous}, is kept)`);
  }
  const current = await currentRelease(ctx.db, site.environment_id);
  const mounted = new Map(parseStoredVolumes(current?.volumes ?? '[]').map((v) => [v.name, v.generation ?? 0]));
  return volumes.some((b) => declared.has(b.volume) && mounted.get(b.volume) !== declared.get(b.volume)) ? 'unmounted' : 'mounted';
}

/** Restores the service backups taken before the upgrade touched the live site (not when only its clone was touched). */
async function restoreSite(ctx: SiteContext, upgrade: HerdUpgradesTable, site: UpgradeSite, log: (m: string) => Promise<void>): Promise<void> {
  if (site.clone_environment_id !== null) await removeClone(ctx, site);
  const live = await touchedLive(ctx, site);
  const { services: backups, volumes } = siteBackups(site.backups);
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
  const data = live && backups.length + volumes.length > 0;
  if (await moveSite(ctx.db, site, 'reverting', 'reverted', { clone_environment_id: null })) await log(`reverted: back on ${site.from_version ?? 'its previous release'}${data ? ' with its data as before the upgrade' : ''}`);
}
