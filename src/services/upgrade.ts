/**
 * Upgrading a provisioned service's image: an explicit, backed-up operation.
 *
 * 1. The new image is resolved to a digest in Slipway's registry; one upgrade per service runs
 *    at a time (a `running` row, unique per service, owned by this server process).
 * 2. Every attachment is backed up first with the backup machinery (a custom service has none:
 *    it is upgraded only with `withoutBackup`, after the operator has saved its volume).
 * 3. The old workload is stopped and removed (two servers never share a data directory), then
 *    the same workload — same name, volume, network, limits, environment — starts on the new
 *    digest; Slipway waits until the target reports it ready and the kind's probe answers.
 * 4. Healthy: the new digest is stored (the previous one stays in the record). Not healthy: the
 *    new workload is removed and the previous digest put back on the same volume, and the answer
 *    is SLW_SERVICE_UPGRADE_FAILED saying whether the previous one answers again.
 *
 * An upgrade runs within the request. A server that stops midway leaves the row `running`; the
 * services sweep of the next server process finds it and puts the stored (previous) image back
 * ({@link recoverUpgrades}).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { SlipwayError, isSlipwayError } from '../core/errors.js';
import type { AdminConnection } from '../core/services.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { Transaction } from 'kysely';
import type { Database, ServicesTable } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';
import { backupAttachment, type BackupContext, type BackupInfo } from './backups.js';
import { announceService } from './changes.js';
import { SERVICE_DIGEST_LABEL, storedSpec } from './provision-spec.js';
import { defaultTimeouts, probeUntil, waitGone, waitReady, type ProvisionTimeouts } from './provision-wait.js';
import { provisioningOf } from './provision.js';
import { resolveServiceImage } from './provisioning.js';
import { adminSealId, describeService, findService, type ServiceInfo } from './services.js';
import { listUpgrades, type UpgradeInfo, type UpgradeStatus } from './upgrade-store.js';

/** This server process, as the owner of the upgrades it runs (a `running` upgrade of another owner is an orphan). */
export const upgradeOwner = `${process.pid}-${randomBytes(6).toString('hex')}`;

export interface UpgradeResult {
  service: ServiceInfo;
  upgrade: UpgradeInfo;
  backups: BackupInfo[];
  /** From stopping the previous server to the new one answering. */
  downMs: number;
}

const why = (error: unknown) => (isSlipwayError(error) ? error.message : error instanceof Error ? error.message : String(error));

/** Backs up every attachment of the service (as the upgrading principal), in the order they were made. */
async function backupAll(ctx: BackupContext, access: WorkspaceAccess, row: ServicesTable, upgradeId: string): Promise<BackupInfo[]> {
  const attachments = await ctx.db.selectFrom('service_attachments').selectAll().where('service_id', '=', row.id).where('state', '=', 'attached').orderBy('created_at').orderBy('id').execute();
  const out: BackupInfo[] = [];
  for (const a of attachments) {
    const project = await ctx.db.selectFrom('projects').selectAll().where('id', '=', a.project_id).executeTakeFirstOrThrow();
    const environment = await ctx.db.selectFrom('environments').selectAll().where('id', '=', a.environment_id).executeTakeFirstOrThrow();
    const envAccess: EnvironmentAccess = { ...access, project, environment };
    out.push(await backupAttachment(ctx, envAccess, row, a, { trigger: 'upgrade', reason: `upgrade ${upgradeId}` }));
  }
  return out;
}

export async function upgradeService(ctx: BackupContext, access: WorkspaceAccess, name: string, input: { image: string; withoutBackup?: boolean | undefined }, options: { logger?: Logger; timeouts?: Partial<ProvisionTimeouts> } = {}): Promise<UpgradeResult> {
  const started = Date.now();
  const row = await findService(ctx.db, access, name);
  if (row.mode !== 'provisioned') throw new SlipwayError('SLW_SERVICE_UNSUPPORTED', `service '${name}' is adopted: it runs elsewhere, so upgrade it where it runs; Slipway upgrades the image of services it provisioned (--image)`);
  if (input.withoutBackup === true && row.kind !== 'custom') throw new SlipwayError('SLW_VALIDATION', `--without-backup is for custom services only; an upgrade of '${name}' always backs up every attachment first`);
  if (row.kind === 'custom' && input.withoutBackup !== true) throw new SlipwayError('SLW_SERVICE_UNSUPPORTED', `service '${name}' is a custom service: Slipway cannot back it up before the upgrade; save its volume yourself (slipway service show ${name} names it), then run the upgrade again with --without-backup`);
  const p = await ctx.db.selectFrom('provisioned_services').selectAll().where('service_id', '=', row.id).executeTakeFirstOrThrow();
  const provisioning = provisioningOf(ctx);
  const target = provisioning.placements.resolve(p.placement).target;
  const image = await resolveServiceImage(ctx.db, access.workspace, provisioning.registry.host, input.image);
  if (image.digest === p.image_digest) throw new SlipwayError('SLW_VALIDATION', `service '${name}' already runs ${p.image_digest}; nothing to upgrade`);
  const timeouts = { ...defaultTimeouts, ...options.timeouts };
  const id = newId('sup');
  const from = { image: p.image, repository: p.repository, digest: p.image_digest };
  try {
    await ctx.db.insertInto('service_upgrades').values({ id, workspace_id: access.workspace.id, service_id: row.id, from_image: p.image, from_digest: p.image_digest, to_image: image.image, to_digest: image.digest, status: 'running', backups: '[]', message: null, owner: upgradeOwner, started_at: nowIso(), finished_at: null, duration_ms: null, created_by: access.principal.userId }).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_SERVICE_BUSY', `an upgrade of service '${name}' is already running; wait until it ends (slipway service show ${name})`);
    throw error;
  }
  announceService(access.workspace.id, name, 'upgrading', {}, 'running');
  const finish = async (status: UpgradeStatus, message: string | null, backups: string[], also?: (tx: Transaction<Database>) => Promise<void>) => {
    await ctx.db.transaction().execute(async (tx) => {
      await also?.(tx);
      await tx.updateTable('service_upgrades').set({ status, message, backups: JSON.stringify(backups), finished_at: nowIso(), duration_ms: Date.now() - started }).where('id', '=', id).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.upgrade', targetType: 'service', target: name, details: { upgrade: id, status, fromDigest: from.digest, toDigest: image.digest, toImage: image.image, backups, durationMs: Date.now() - started, ...(message ? { message } : {}) } });
    });
    announceService(access.workspace.id, name, 'upgraded', {}, status);
  };

  let backups: BackupInfo[];
  try {
    backups = input.withoutBackup === true ? [] : await backupAll(ctx, access, row, id);
  } catch (error) {
    await finish('aborted', `a backup failed (${why(error)}); nothing was changed`, []);
    throw error;
  }
  const backupIds = backups.map((b) => b.id);
  await ctx.db.updateTable('service_upgrades').set({ backups: JSON.stringify(backupIds) }).where('id', '=', id).execute();
  const admin = JSON.parse(ctx.keyring.open(adminSealId(row.workspace_id, row.id), row.admin_envelope)) as AdminConnection;
  const previous = await storedSpec(ctx, provisioning, row, p, access.workspace.name, from);
  const next = { ...previous, image: image.image, registryAuth: provisioning.registry.auth(image.repository), labels: { ...previous.labels, [SERVICE_DIGEST_LABEL]: image.digest } };
  const notReady = (reason: string) => new SlipwayError('SLW_SERVICE_UPGRADE_FAILED', reason);
  const downFrom = Date.now();
  await target.remove(p.workload, 30);
  await waitGone(target, p.workload);
  let version: string;
  let address: { host: string; port: number };
  try {
    await target.apply(next);
    address = await waitReady(target, p.workload, timeouts.readyMs, notReady);
    ({ version } = await probeUntil(ctx, { ...admin, ...address }, timeouts.probeMs, notReady));
  } catch (error) {
    const reason = why(error);
    options.logger?.warn({ service: name, upgrade: id, toDigest: image.digest }, `upgrade of service ${name} failed (${reason}); putting ${from.digest} back`);
    let back = false;
    let backWhy = '';
    try {
      await target.remove(p.workload, 10);
      await waitGone(target, p.workload);
      await target.apply(previous);
      const a = await waitReady(target, p.workload, timeouts.readyMs, notReady);
      await probeUntil(ctx, { ...admin, ...a }, timeouts.probeMs, notReady);
      back = true;
    } catch (e) {
      backWhy = why(e);
    }
    const kept = backupIds.length > 0 ? `; the backups taken first: ${backupIds.join(', ')}` : '';
    const message = back
      ? `the new image ${image.digest} did not become healthy (${reason}); rolled back: the previous image ${from.digest} runs again on the same volume and answers${kept}`
      : `the new image ${image.digest} did not become healthy (${reason}), and the previous image ${from.digest}, put back on the same volume, is not healthy either (${backWhy}); check slipway service show ${name}${kept}`;
    await finish(back ? 'rolled-back' : 'failed', message, backupIds);
    throw new SlipwayError('SLW_SERVICE_UPGRADE_FAILED', `upgrade of service '${name}' failed: ${message}`);
  }
  const downMs = Date.now() - downFrom;
  // The new digest and the record's end in one transaction: a crash between them cannot leave the record running.
  await finish('succeeded', null, backupIds, async (tx) => {
    await tx.updateTable('provisioned_services').set({ image: image.image, image_digest: image.digest, project_id: image.projectId, repository: image.repository }).where('service_id', '=', row.id).execute();
    await tx.updateTable('services').set({ host: address.host, port: address.port, server_version: version || row.server_version }).where('id', '=', row.id).execute();
  });
  options.logger?.info({ service: name, upgrade: id, downMs }, `upgraded service ${name} to ${image.digest}; not ready for ${downMs} ms`);
  const [upgrade] = await listUpgrades(ctx.db, row.id, 1);
  return { service: await describeService(ctx.db, access, name, ctx.provisioning), upgrade: upgrade!, backups, downMs };
}
