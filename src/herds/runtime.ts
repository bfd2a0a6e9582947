/**
 * The herd runner as the server runs it: a controller over upgrade ids (short reconciles,
 * requeued while sites deploy, migrate or bake; a periodic resync that also finds upgrades a
 * crashed server left), woken at once by {@link herdBus} when an operator acts; and the
 * announcer that puts the upgrades' changes on the workspace change stream (changes.ts).
 *
 * @module
 */
import type { Logger } from 'pino';
import { Controller } from '../controllers/index.js';
import { deploymentsEnded } from '../deploy/events.js';
import type { Db } from '../store/schema.js';
import { herdBus } from './bus.js';
import { upgradeAnnouncer } from './changes.js';
import { startContinuousUpgrades } from './policies.js';
import { HerdRunner, type HerdRunnerOptions } from './runner.js';
import type { WindowCheck } from './upgrades.js';

export interface HerdRuntime {
  stop(): Promise<void>;
}

export interface HerdRuntimeOptions extends HerdRunnerOptions {
  db: Db;
  logger: Logger;
  checkWindow: WindowCheck;
  workers?: number;
  /** How often the continuous policy looks for sites behind their channel's latest. @default 10_000 */
  policyEveryMs?: number;
}

export async function startHerdRuntime(o: HerdRuntimeOptions): Promise<HerdRuntime> {
  // One server per data dir: an upgrade still leased at start was leased by the previous process.
  await o.db.updateTable('herd_upgrades').set({ lease_until: new Date(0).toISOString() }).where('finished_at', 'is', null).execute();
  const runner = new HerdRunner(o);
  const controller = new Controller<string>({ name: 'herds', reconcile: (key, signal) => runner.reconcile(key, signal), list: () => runner.pending(), resyncMs: 5_000, workers: o.workers ?? 2 }, { logger: o.logger });
  const announcer = upgradeAnnouncer(o.db, o.logger);
  const changed = (id: string) => announcer.touch(id);
  const wake = (id: string) => {
    controller.enqueue(id);
    changed(id);
  };
  herdBus.on('wake', wake);
  herdBus.on('changed', changed);
  // A site's deploy, migration or rollback that ended moves its upgrade on now, not at the next look.
  const ended = (deploymentId: string) => {
    void o.db
      .selectFrom('herd_upgrade_sites')
      .select('upgrade_id')
      .where((eb) => eb.or([eb('deployment_id', '=', deploymentId), eb('revert_deployment_id', '=', deploymentId)]))
      .execute()
      .then((rows) => {
        for (const r of rows) controller.enqueue(r.upgrade_id);
      })
      .catch((error: unknown) => o.logger.warn({ err: error }, 'herd runtime: looking up an ended deployment failed'));
  };
  deploymentsEnded.on('ended', ended);
  controller.start();
  let checking = false;
  const policy = setInterval(() => {
    if (checking) return;
    checking = true;
    startContinuousUpgrades(o)
      .then((ids) => {
        for (const id of ids) o.logger.info({ upgrade: id }, 'continuous policy: started a herd upgrade');
      })
      .catch((error: unknown) => o.logger.warn({ err: error }, 'continuous policy check failed'))
      .finally(() => {
        checking = false;
      });
  }, o.policyEveryMs ?? 10_000);
  policy.unref();
  return {
    stop: async () => {
      clearInterval(policy);
      herdBus.off('wake', wake);
      deploymentsEnded.off('ended', ended);
      await controller.stop();
      // The changes the last reconciles made go out before the streams close.
      herdBus.off('changed', changed);
      await announcer.stop();
    },
  };
}
