/**
 * The deploy engine as the server runs it: the engine and its controller (short reconciles, one
 * per environment at a time, requeued while they wait; retries with backoff; a periodic resync
 * that also finds deployments a crashed server left), and the observer that keeps each
 * environment's observed state and, at start, the edge's routes.
 *
 * @module
 */
import type { Logger } from 'pino';
import { Controller } from '../controllers/index.js';
import type { Keyring } from '../secrets/secrets.js';
import type { Db } from '../store/schema.js';
import { DeployEngine } from './engine.js';
import { HealthGates } from './health-gate.js';
import { PipelineGates } from './pipeline-gate.js';
import { sweep } from './observe.js';
import type { RegistryAccess } from './spec.js';
import type { Placements } from './target.js';

export interface DeployRuntime {
  enqueue(environmentId: string): void;
  placements: Placements;
  /** Observes every environment now (after a deploy, for tests and benches). */
  observe(): Promise<void>;
  stop(): Promise<void>;
}

export interface DeployRuntimeOptions {
  db: Db;
  keyring: Keyring;
  logger: Logger;
  owner: string;
  registry: RegistryAccess;
  placements: Placements;
  /** This instance's id (slipway_meta), on every workload it makes. */
  instance: string;
  drainMinMs?: number;
  drainCapMs?: number;
  /** Reconciles at once. @default 8 (each one is short: a few queries and target calls) */
  workers?: number;
}

/**
 * Between sweeps of the observer: the status page shows replicas that died within this long
 * after they did. 30 s ± 10 % keeps one `list` call per target well under a percent of a core.
 */
const observeEveryMs = 30_000;

export async function startDeployRuntime(o: DeployRuntimeOptions): Promise<DeployRuntime> {
  // One server per data dir (SQLite lock; several replicas on PostgreSQL are not supported yet):
  // a deployment still held at start was held by the previous process. Its lease ends now, so
  // the controller continues it at once instead of waiting for the lease to run out.
  await o.db.updateTable('deployments').set({ lease_until: new Date(0).toISOString() }).where('status', 'in', ['running', 'cancelling']).execute();
  await o.db.updateTable('health_gates').set({ lease_until: new Date(0).toISOString() }).where('status', '=', 'baking').execute();
  let controller: Controller<string> | undefined;
  const gates = new HealthGates({ db: o.db, keyring: o.keyring, logger: o.logger, owner: o.owner, placements: o.placements, enqueueDeploy: (environmentId) => controller?.enqueue(environmentId) });
  // Resync every 2 s: a gate opened while its enqueue was lost starts probing soon (its bake is
  // measured from its stored start, so a late start shortens what it sees, never what it requires).
  const gateController = new Controller<string>({ name: 'health-gate', reconcile: (key, signal) => gates.reconcile(key, signal), list: () => gates.pending(), resyncMs: 2_000, workers: 4 }, { logger: o.logger });
  const pipelineGates = new PipelineGates({ db: o.db, logger: o.logger, enqueueDeploy: (environmentId) => controller?.enqueue(environmentId) });
  // Resync every second: a request that entered `testing` (asked, or approved) is found within a
  // second without any wiring from the API; a run's end is seen within one more.
  const pipelineGateController = new Controller<string>({ name: 'pipeline-gate', reconcile: (key, signal) => pipelineGates.reconcile(key, signal), list: () => pipelineGates.pending(), resyncMs: 1_000, workers: 2 }, { logger: o.logger });
  const engine = new DeployEngine({ db: o.db, keyring: o.keyring, logger: o.logger, owner: o.owner, placements: o.placements, registry: o.registry, instance: o.instance, drainMinMs: o.drainMinMs, drainCapMs: o.drainCapMs, onHealthGate: (id) => gateController.enqueue(id) });
  const observe = (restoreRoutes: boolean) => sweep(o.db, o.placements, o.logger, { restoreRoutes, instance: o.instance }).then(() => undefined);
  await observe(true).catch((error: unknown) => o.logger.warn({ err: error }, 'could not observe the targets at start'));
  controller = new Controller<string>(
    // Resync every 5 s: deployments are found again even if an enqueue was lost, and a lapsed
    // lease of a dead server is noticed within a lease period.
    { name: 'deploy', reconcile: (key, signal) => engine.reconcile(key, signal), list: () => engine.pending(), resyncMs: 5_000, workers: o.workers ?? 8 },
    { logger: o.logger },
  );
  controller.start();
  gateController.start();
  pipelineGateController.start();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    timer = setTimeout(() => {
      void observe(false)
        .catch((error: unknown) => o.logger.warn({ err: error }, 'observing the targets failed'))
        .finally(() => {
          if (!stopped) schedule();
        });
    }, observeEveryMs * (0.9 + Math.random() * 0.2));
    timer.unref();
  };
  schedule();
  return {
    enqueue: (environmentId) => controller?.enqueue(environmentId),
    placements: o.placements,
    observe: () => observe(false),
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await pipelineGateController.stop();
      await gateController.stop();
      gates.stop();
      await controller?.stop();
      engine.stop();
    },
  };
}
