/**
 * The pipeline runner as the server runs it: a controller over run ids (short reconciles, one per
 * run at a time, requeued while a job runs; retries with backoff; a periodic resync that also
 * finds runs a crashed server left), woken at once by {@link runBus} when a run is triggered,
 * cancelled, or may start because the one before it ended.
 *
 * @module
 */
import type { Logger } from 'pino';
import { Controller } from '../controllers/index.js';
import type { RegistryAccess } from '../deploy/spec.js';
import type { Placements } from '../deploy/target.js';
import type { Keyring } from '../secrets/secrets.js';
import type { Db } from '../store/schema.js';
import { PipelineRunner } from './runner.js';
import { runBus } from './runs.js';

export interface PipelineRuntimeOptions {
  db: Db;
  keyring: Keyring;
  logger: Logger;
  owner: string;
  registry: RegistryAccess;
  placements: Placements;
  instance: string;
  /** Reconciles at once. @default 4 (each is a few queries and one target call) */
  workers?: number;
}

export interface PipelineRuntime {
  stop(): Promise<void>;
}

export async function startPipelineRuntime(o: PipelineRuntimeOptions): Promise<PipelineRuntime> {
  // One server per data dir (as for deployments): a run still held at start was held by the
  // previous process; its lease ends now, so the runner continues it at once.
  await o.db.updateTable('pipeline_runs').set({ lease_until: new Date(0).toISOString() }).where('status', '=', 'running').execute();
  const runner = new PipelineRunner({ db: o.db, keyring: o.keyring, logger: o.logger, owner: o.owner, placements: o.placements, registry: o.registry, instance: o.instance });
  const controller = new Controller<string>(
    // Resync every 5 s: a run is found again even if a wake-up was lost, and a lapsed lease of a
    // dead server is noticed within a lease period.
    { name: 'pipelines', reconcile: (key, signal) => runner.reconcile(key, signal), list: () => runner.pending(), resyncMs: 5_000, workers: o.workers ?? 4 },
    { logger: o.logger },
  );
  const wake = (runId: string) => controller.enqueue(runId);
  runBus.on('wake', wake);
  controller.start();
  return {
    stop: async () => {
      runBus.off('wake', wake);
      await controller.stop();
      runner.stop();
    },
  };
}
