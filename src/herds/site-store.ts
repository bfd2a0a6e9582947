/**
 * The records of a herd upgrade's sites: their context, the guarded step change every step
 * makes, the failure that counts against the budget, and the step log.
 *
 * @module
 */
import { systemActor, type Actor } from '../audit/audit.js';
import { finalSteps, type SiteStep } from '../core/herd.js';
import type { Placements } from '../deploy/target.js';
import { nowIso } from '../platform/time.js';
import type { Keyring } from '../secrets/secrets.js';
import type { BackupContext } from '../services/backups.js';
import type { Db, Executor, HerdUpgradeSitesTable, HerdUpgradesTable } from '../store/schema.js';
import type { VolumeBackupContext } from '../volumes/backups.js';
import { upgradeChanged } from './bus.js';

export interface SiteContext {
  db: Db;
  keyring: Keyring;
  backups: BackupContext;
  /** Backs up and restores the sites' volumes; absent: their volumes are not backed up (said in the site's log). */
  volumes?: VolumeBackupContext;
  placements: () => Placements;
  enqueueDeploy(environmentId: string): void;
  /** Tells the application's admins (a staged site waiting for approval). */
  notify?(applicationId: string, notice: { kind: 'upgrade' | 'approval'; message: string; details: Record<string, unknown>; dedupeKey?: string }): Promise<void>;
}

export type UpgradeSite = HerdUpgradeSitesTable & { site_window: string | null; policy: string | null };

/** A backup the upgrade took of the site before touching it: of an attached service, or of a volume. */
export type SiteBackup = ServiceSiteBackup | VolumeSiteBackup;

export interface ServiceSiteBackup {
  service: string;
  as: string | null;
  backupId: string;
}

export interface VolumeSiteBackup {
  volume: string;
  /** The generation of the volume the backup read: a revert restores it unless the volume is past it already. */
  generation: number;
  backupId: string;
}

export const isVolumeBackup = (b: SiteBackup): b is VolumeSiteBackup => 'volume' in b;
export const siteBackups = (stored: string): { services: ServiceSiteBackup[]; volumes: VolumeSiteBackup[] } => {
  const all = JSON.parse(stored) as SiteBackup[];
  return { services: all.filter((b): b is ServiceSiteBackup => !isVolumeBackup(b)), volumes: all.filter(isVolumeBackup) };
};

/**
 * Appends a line to the site's step log (every step change writes one) and announces the
 * upgrade's change; outside a transaction (the announcement reads the upgrade as committed).
 */
export async function appendSiteEvent(db: Executor, upgradeId: string, environmentId: string, step: string, message: string): Promise<void> {
  const last = await db.selectFrom('herd_site_events').select((eb) => eb.fn.max('seq').as('n')).where('upgrade_id', '=', upgradeId).where('environment_id', '=', environmentId).executeTakeFirst();
  await db.insertInto('herd_site_events').values({ upgrade_id: upgradeId, environment_id: environmentId, seq: Number(last?.n ?? 0) + 1, at: nowIso(), step, message: message.slice(0, 2000) }).execute();
  upgradeChanged(upgradeId);
}

/** Appends `message` unless it is the site's last one already (a wait is said once, not at every look). */
export async function sayOnce(db: Executor, upgradeId: string, environmentId: string, step: string, message: string): Promise<void> {
  const last = await db.selectFrom('herd_site_events').select('message').where('upgrade_id', '=', upgradeId).where('environment_id', '=', environmentId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  if (last?.message !== message) await appendSiteEvent(db, upgradeId, environmentId, step, message);
}

export const actorOfUpgrade = (u: HerdUpgradesTable): Actor => (u.created_by ? { userId: u.created_by, tokenId: null } : systemActor);

/** Moves the site from `from` to `to` (and whatever else `set` says) unless something else moved it first; true when it did. */
export async function moveSite(db: Executor, site: UpgradeSite, from: SiteStep, to: SiteStep, set: Partial<HerdUpgradeSitesTable> = {}): Promise<boolean> {
  const now = nowIso();
  const r = await db
    .updateTable('herd_upgrade_sites')
    .set({ step: to, step_started_at: now, ...(to === 'done' || to === 'reverted' || to === 'revert-failed' || to === 'rejected' ? { finished_at: now } : {}), ...set })
    .where('upgrade_id', '=', site.upgrade_id)
    .where('environment_id', '=', site.environment_id)
    .where('step', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The site failed: it is reverted next, and the upgrade counts one more failure (one transaction). */
export async function failSite(ctx: SiteContext, site: UpgradeSite, reason: string, revertDeploymentId: string | null = null): Promise<void> {
  const moved = await ctx.db.transaction().execute(async (tx) => {
    if (!(await moveSite(tx, site, site.step as SiteStep, 'reverting', { error: reason.slice(0, 1000), revert_deployment_id: revertDeploymentId }))) return false;
    await tx.updateTable('herd_upgrades').set((eb) => ({ failures: eb('failures', '+', 1), updated_at: nowIso() })).where('id', '=', site.upgrade_id).execute();
    return true;
  });
  if (moved) await appendSiteEvent(ctx.db, site.upgrade_id, site.environment_id, 'reverting', `failed: ${reason}; reverting`);
}

/**
 * The upgrade's sites with each one's window and policy: those in flight (`moving`), or what
 * the plan's next step needs (`open`): every site not ended and not pending, and the pending
 * ones of the lowest wave not ended — not the whole herd at every look (a 10,000-site upgrade
 * reads its in-flight sites and one wave).
 */
export async function upgradeSites(db: Executor, upgradeId: string, which: 'moving' | 'open'): Promise<UpgradeSite[]> {
  const ended = [...finalSteps];
  let q = db
    .selectFrom('herd_upgrade_sites as h')
    .leftJoin('sites as s', 's.environment_id', 'h.environment_id')
    .selectAll('h')
    .select(['s.maintenance_window as site_window', 's.policy as policy'])
    .where('h.upgrade_id', '=', upgradeId)
    .where('h.step', 'not in', ended);
  if (which === 'moving') q = q.where('h.step', 'not in', ['pending', 'awaiting-approval']);
  else {
    // The lowest wave not ended, as a scalar subquery: one round trip.
    const lowest = db.selectFrom('herd_upgrade_sites as w').select((eb) => eb.fn.min('w.wave').as('wave')).where('w.upgrade_id', '=', upgradeId).where('w.step', 'not in', ended);
    q = q.where((eb) => eb.or([eb('h.step', '!=', 'pending'), eb('h.wave', '=', lowest)]));
  }
  return q.orderBy('h.position').execute();
}
