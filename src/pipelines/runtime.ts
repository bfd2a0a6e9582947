/**
 * The pipeline runner as the server runs it: a controller over run ids (short reconciles, one per
 * run at a time, requeued while a job runs; retries with backoff; a periodic resync that also
 * finds runs a crashed server left), woken at once by {@link runBus} when a run is triggered,
 * cancelled, or may start because the one before it ended. Beside it, the schedules: just after
 * each minute begins, the slots due are run (schedules.ts).
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
import { runDueSchedules } from './schedules.js';

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
  const schedules = startScheduleClock(o.db, o.logger);
  return {
    stop: async () => {
      await schedules.stop();
      runBus.off('wake', wake);
      await controller.stop();
      runner.stop();
    },
  };
}

/**
 * Runs the due schedule slots one second into every minute (cron's resolution), one pass at a
 * time, and once at start. Exported for its test (runtime.test.ts, with fake timers).
 */
export function startScheduleClock(db: Db, logger: Logger): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> = Promise.resolve();
  let stopped = false;
  const arm = () => {
    if (stopped) return;
    const now = Date.now();
    timer = setTimeout(tick, 60_000 - (now % 60_000) + 1000);
    timer.unref();
  };
  const tick = () => {
    pass = runDueSchedules(db)
      .then((slots) => {
        for (const s of slots) logger.info({ schedule: s.schedule, outcome: s.outcome, run: s.runId }, 'pipeline schedule slot');
      })
      .catch((error: unknown) => logger.error({ err: error }, 'running due pipeline schedules failed'))
      .finally(arm);
  };
  // A slot that came due while the server was stopped is looked at once at start.
  tick();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await pass;
    },
  };
}
