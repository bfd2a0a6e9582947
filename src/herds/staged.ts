/**
 * Staged sites: before the live site moves, Slipway clones it into an environment of its own
 * (kind `clone`, `<site>-next`, on its own default domain) with the site's config, secrets and
 * settings (not its domains, approval or gates), the same services attached with credentials of
 * its own, and a copy of the site's data (its services' and its volumes') restored from the
 * backups just taken; then deploys the new version to the clone (its migration runs on the
 * copy). The site waits for approval:
 * approved, it takes the live path and the clone is removed at the end; rejected, the clone is
 * removed and the site stays as it is. The clone's data is dropped with it.
 *
 * Each step is idempotent or recorded: the clone's id is stored before anything is put in it,
 * attachments are made once (an attached service is skipped), the restore repeats harmlessly
 * until the clone's deploy is requested, and that request is stored in its own transaction.
 *
 * @module
 */
import { readLayer, changeConfigIn } from '../config/config.js';
import { assertName } from '../core/names.js';
import { isDataKind } from '../core/services.js';
import { requestDeploy } from '../deploy/deployments.js';
import { environmentAccess } from '../deploy/engine.js';
import { deleteEnvironment } from '../deploy/removal.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { currentSecretVersions, revealSecrets, setSecret, type SecretVersions } from '../secrets/secrets.js';
import { attach, detach, listAttachments } from '../services/attachments.js';
import { restoreBackupInto } from '../services/backups.js';
import { copyVolumeBackupInto } from '../volumes/restore.js';
import type { HerdUpgradesTable } from '../store/schema.js';
import { actorOfUpgrade, appendSiteEvent, failSite, moveSite, siteBackups, type SiteContext, type UpgradeSite } from './site-store.js';

/** Settings a clone does not take from its site: its domain is its own, and nobody approves or gates a clone. */
const notCloned = ['domain', 'requireApproval', 'requirePromotionFrom', 'gatePipeline', 'gateHealth'];

async function cloneName(ctx: SiteContext, projectId: string, site: string): Promise<string> {
  for (let i = 0; i < 20; i += 1) {
    const base = i === 0 ? `${site}-next` : `${site}-next${i + 1}`;
    const name = assertName('environment', base.length > 63 ? `${base.slice(0, 50)}-${newId('env').slice(-8)}` : base);
    const taken = await ctx.db.selectFrom('environments').select('id').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
    if (!taken) return name;
  }
  return assertName('environment', `next-${newId('env').slice(-12).toLowerCase()}`);
}

/** Creates the clone environment with the site's config layer, secrets and settings; stores its id on the site. */
async function makeClone(ctx: SiteContext, upgrade: HerdUpgradesTable, site: UpgradeSite, from: EnvironmentAccess): Promise<EnvironmentAccess | null> {
  const name = await cloneName(ctx, from.project.id, from.environment.name);
  const id = newId('env');
  const created = await ctx.db.transaction().execute(async (tx) => {
    const r = await tx.updateTable('herd_upgrade_sites').set({ clone_environment_id: id }).where('upgrade_id', '=', upgrade.id).where('environment_id', '=', site.environment_id).where('step', '=', 'clone').where('clone_environment_id', 'is', null).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await tx.insertInto('environments').values({ id, project_id: from.project.id, name, kind: 'clone', created_at: nowIso() }).execute();
    const settings = await tx.selectFrom('environment_settings').select('data').where('environment_id', '=', from.environment.id).executeTakeFirst();
    if (settings) {
      const data = JSON.parse(settings.data) as Record<string, unknown>;
      for (const k of notCloned) delete data[k];
      await tx.insertInto('environment_settings').values({ environment_id: id, data: JSON.stringify(data), updated_at: nowIso() }).execute();
    }
    const layer = await readLayer(tx, from.project.id, from.environment.id);
    const to = { ...from, environment: { id, project_id: from.project.id, name, kind: 'clone', created_at: nowIso() } };
    if (Object.keys(layer.data).length > 0) await changeConfigIn(tx, to, { set: layer.data, unset: [] }, { via: 'herd-clone', site: from.environment.name });
    return true;
  });
  if (!created) return null;
  const access = await environmentAccess(ctx.db, id);
  // The site's own secrets (the base layer's it shares with every environment already).
  const versions = await currentSecretVersions(ctx.db, from);
  const own: SecretVersions = Object.fromEntries(Object.entries(versions).filter(([, v]) => v.scope === from.environment.id));
  const values = await revealSecrets(ctx.db, ctx.keyring, from.workspace.id, from.project.id, own);
  for (const [k, v] of Object.entries(values)) await setSecret(ctx.db, ctx.keyring, access, k, v);
  await appendSiteEvent(ctx.db, upgrade.id, site.environment_id, 'clone', `clone ${name} created with the site's config, ${Object.keys(values).length} secret(s) and settings`);
  return access;
}

export async function cloneStep(ctx: SiteContext, upgrade: HerdUpgradesTable, site: UpgradeSite): Promise<void> {
  const log = (message: string) => appendSiteEvent(ctx.db, upgrade.id, site.environment_id, 'clone', message);
  const from = await environmentAccess(ctx.db, site.environment_id);
  if (site.clone_environment_id === null) {
    await makeClone(ctx, upgrade, site, from);
    return; // the next reconcile fills it
  }
  const clone = await environmentAccess(ctx.db, site.clone_environment_id);
  if (site.deployment_id === null) {
    // The same services, with credentials of its own, and a copy of the site's data from the backup just taken.
    const { services: backups, volumes } = siteBackups(site.backups);
    const have = new Set((await listAttachments(ctx.db, clone)).map((a) => `${a.service}/${a.as ?? ''}`));
    for (const a of await listAttachments(ctx.db, from)) {
      if (a.state !== 'attached' || have.has(`${a.service}/${a.as ?? ''}`)) continue;
      await attach(ctx.backups, clone, a.service, a.as);
      await log(`attached ${a.service}${a.as ? ` as ${a.as}` : ''} to the clone (credentials of its own)`);
    }
    for (const b of backups) {
      await restoreBackupInto(ctx.backups, b.backupId, clone, b.service, b.as);
      await log(`copied the site's ${b.service} data into the clone (backup ${b.backupId})`);
    }
    // The clone's settings declare the site's volumes: each starts as a copy of the site's backup.
    for (const b of volumes) {
      if (!ctx.volumes) break;
      const copied = await copyVolumeBackupInto(ctx.volumes, from, b.volume, b.backupId, clone);
      await log(`copied the site's volume ${b.volume} into the clone (backup ${b.backupId}, ${copied.size} bytes)`);
    }
    await requestDeploy(ctx.db, clone, { imageDigest: upgrade.to_digest, version: upgrade.to_version, trigger: 'herd-wave', actor: actorOfUpgrade(upgrade) }, async (tx, requested) => {
      const r = await tx.updateTable('herd_upgrade_sites').set({ deployment_id: requested.deployment.id }).where('upgrade_id', '=', upgrade.id).where('environment_id', '=', site.environment_id).where('step', '=', 'clone').where('deployment_id', 'is', null).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw new Error('the site moved on meanwhile');
    });
    ctx.enqueueDeploy(clone.environment.id);
    await log(`deploying ${upgrade.to_version} to the clone ${clone.environment.name} (its migration runs on the copy)`);
    return;
  }
  const d = await ctx.db.selectFrom('deployments').select(['status', 'error']).where('id', '=', site.deployment_id).executeTakeFirst();
  if (!d || d.status === 'failed' || d.status === 'cancelled') return failSite(ctx, site, `the clone's deploy ${d?.status ?? 'is gone'}: ${d?.error ?? ''}`);
  if (d.status !== 'succeeded') return;
  if (await moveSite(ctx.db, site, 'clone', 'awaiting-approval', { deployment_id: null })) {
    await log(`the clone ${clone.environment.name} runs ${upgrade.to_version}; waiting for approval (slipway herd approve ${upgrade.id} --site ${site.site})`);
    await ctx.notify?.(upgrade.application_id, { kind: 'approval', message: `site ${site.site}: its clone ${clone.environment.name} runs ${upgrade.to_version} with a copy of its data; approve to cut the site over, or reject`, details: { upgrade: upgrade.id, site: site.site, clone: clone.environment.name, version: upgrade.to_version }, dedupeKey: `approval:${upgrade.id}:${site.site}` });
  }
}

export async function rejectStep(ctx: SiteContext, site: UpgradeSite): Promise<void> {
  if (site.clone_environment_id !== null) await removeClone(ctx, site);
  if (await moveSite(ctx.db, site, 'rejecting', 'rejected', { clone_environment_id: null })) await appendSiteEvent(ctx.db, site.upgrade_id, site.environment_id, 'rejected', 'rejected: the clone was removed; the site stays on its version');
}

/** Removes a site's clone: its attachments detached with their data dropped, its workloads and records gone. */
export async function removeClone(ctx: SiteContext, site: UpgradeSite): Promise<void> {
  const id = site.clone_environment_id;
  if (id === null) return;
  const exists = await ctx.db.selectFrom('environments').select('id').where('id', '=', id).executeTakeFirst();
  if (!exists) return;
  const clone = await environmentAccess(ctx.db, id);
  for (const a of await listAttachments(ctx.db, clone)) {
    if (a.state === 'attached') await detach(ctx.backups, clone, a.service, a.as, { dropData: isDataKind(a.kind), confirm: a.service });
  }
  // A clone's volumes (copies of the site's) go with it.
  await deleteEnvironment(ctx.db, ctx.placements(), clone, undefined, { dropVolumes: true });
  await appendSiteEvent(ctx.db, site.upgrade_id, site.environment_id, site.step, `clone ${clone.environment.name} removed (its data dropped)`);
}
