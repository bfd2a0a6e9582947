/**
 * Ending a deployment, in one transaction: its status (only while its owner's fence holds), its
 * release's status (the new one live and the one it replaced superseded; or failed, cancelled),
 * and the status of the promotion it carried out; where the environment has a health gate, the
 * gate's bake starts (the promotion shows `baking` until it passes). Either all of it is stored or none.
 *
 * @module
 */
import { nowIso } from '../platform/time.js';
import type { Db, DeploymentsTable } from '../store/schema.js';
import { appendEvent } from './events.js';
import { openHealthGate } from './health-gate-store.js';

/** The ids of the promotions the deployment carried out; null when the fence no longer held (nothing stored). */
export async function finishDeployment(db: Db, d: DeploymentsTable, fence: number, status: 'succeeded' | 'failed' | 'cancelled', error: string | null, last: { step: string; message: string; level: string }): Promise<{ promotions: string[]; gate: string | null } | null> {
  return db.transaction().execute(async (tx) => {
    const now = nowIso();
    const done = await tx
      .updateTable('deployments')
      .set({ status, phase: status, error, finished_at: now, lease_until: null })
      .where('id', '=', d.id)
      .where('fence', '=', fence)
      .where('status', 'in', ['running', 'cancelling'])
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0) return null;
    // In the same transaction: a follower that sees the status also sees the last line.
    await appendEvent(tx, d.id, last.step, last.message, last.level, { wake: false });
    if (d.kind !== 'scale') {
      if (status === 'succeeded') {
        await tx.updateTable('releases').set({ status: 'superseded' }).where('environment_id', '=', d.environment_id).where('status', '=', 'succeeded').where('id', '!=', d.release_id).execute();
        await tx
          .updateTable('releases')
          .set((eb) => ({ status: 'succeeded', started_at: eb.fn.coalesce('started_at', eb.val(now)), finished_at: now }))
          .where('id', '=', d.release_id)
          .where('status', 'in', ['pending', 'running'])
          .execute();
      } else {
        await tx.updateTable('releases').set({ status, finished_at: now, message: error }).where('id', '=', d.release_id).where('status', 'in', ['pending', 'running']).execute();
      }
    }
    const gate = status === 'succeeded' && d.kind !== 'scale' ? await openHealthGate(tx, d) : null;
    const promotions = await tx.selectFrom('promotions').select('id').where('deployment_id', '=', d.id).execute();
    await tx.updateTable('promotions').set({ status: gate ? 'baking' : status }).where('deployment_id', '=', d.id).where('status', '=', 'deploying').execute();
    return { promotions: promotions.map((p) => p.id), gate };
  });
}
