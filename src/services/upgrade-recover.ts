/**
 * Upgrades a stopped server left behind: a `running` upgrade owned by another server process
 * (the data directory's lock means that process is gone). The stored digest is the one the
 * service had before (an upgrade stores the new one only when it finished), so the workload is
 * made to run it again: left as it is when it already runs that digest and is ready, replaced
 * otherwise. The record becomes `interrupted`. Part of the services sweep.
 *
 * @module
 */
import type { Logger } from 'pino';
import { recordAudit, systemActor } from '../audit/audit.js';
import { nowIso } from '../platform/time.js';
import { SERVICE_DIGEST_LABEL, storedSpec } from './provision-spec.js';
import { waitGone } from './provision-wait.js';
import { announceService } from './changes.js';
import { observation } from './provisioning.js';
import type { ServiceContext } from './services.js';
import { upgradeOwner } from './upgrade.js';

/** Puts the stored image back for every orphaned upgrade; returns how many were recovered. */
export async function recoverUpgrades(ctx: ServiceContext, logger?: Logger): Promise<number> {
  const orphans = await ctx.db.selectFrom('service_upgrades').selectAll().where('status', '=', 'running').where('owner', '!=', upgradeOwner).execute();
  const provisioning = ctx.provisioning?.() ?? null;
  if (orphans.length === 0 || !provisioning) return 0;
  let recovered = 0;
  for (const u of orphans) {
    try {
      const row = await ctx.db.selectFrom('services').selectAll().where('id', '=', u.service_id).executeTakeFirstOrThrow();
      const p = await ctx.db.selectFrom('provisioned_services').selectAll().where('service_id', '=', row.id).executeTakeFirstOrThrow();
      const ws = await ctx.db.selectFrom('workspaces').select('name').where('id', '=', row.workspace_id).executeTakeFirstOrThrow();
      const target = provisioning.placements.resolve(p.placement).target;
      const status = await target.observe(p.workload);
      const runsStored = status?.labels[SERVICE_DIGEST_LABEL] === p.image_digest && observation(status).health !== 'failed';
      if (!runsStored) {
        await target.remove(p.workload, 10);
        await waitGone(target, p.workload);
        await target.apply(await storedSpec(ctx, provisioning, row, p, ws.name, { image: p.image, repository: p.repository, digest: p.image_digest }));
      }
      const message = `the server stopped during the upgrade; ${runsStored ? `${p.image_digest} still ran` : `the stored image ${p.image_digest} was put back on the same volume`}`;
      await ctx.db.transaction().execute(async (tx) => {
        await tx.updateTable('service_upgrades').set({ status: 'interrupted', message, finished_at: nowIso() }).where('id', '=', u.id).where('status', '=', 'running').execute();
        await recordAudit(tx, systemActor, { workspaceId: u.workspace_id, action: 'service.upgrade', targetType: 'service', target: row.name, details: { upgrade: u.id, status: 'interrupted', fromDigest: u.from_digest, toDigest: u.to_digest, runs: p.image_digest } });
      });
      announceService(u.workspace_id, row.name, 'upgraded', {}, 'interrupted');
      logger?.warn({ service: row.name, upgrade: u.id }, `an upgrade of service ${row.name} was interrupted: ${message}`);
      recovered += 1;
    } catch (error) {
      logger?.warn({ err: error, upgrade: u.id }, 'could not recover an interrupted service upgrade; trying again later');
    }
  }
  return recovered;
}
