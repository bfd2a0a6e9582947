/**
 * The deploy engine as the server runs it: the engine, its controller (one reconcile per
 * environment at a time, retries with backoff, periodic resync that also finds deployments cut
 * off by a crash), and the target and edge it drives. Without an edge proxy (no --proxy-listen)
 * deployments are still recorded, and fail at once with a reason that says what to start.
 *
 * @module
 */
import type { Logger } from 'pino';
import { SlipwayError } from '../core/errors.js';
import { Controller } from '../controllers/index.js';
import type { Keyring } from '../secrets/secrets.js';
import type { Db } from '../store/schema.js';
import { DeployEngine } from './engine.js';
import type { Edge, PullAuth, Target } from './target.js';

export interface DeployRuntime {
  enqueue(environmentId: string): void;
  target: Target | null;
  stop(): Promise<void>;
}

export interface DeployRuntimeOptions {
  db: Db;
  keyring: Keyring;
  logger: Logger;
  owner: string;
  registryHost: string;
  pullAuth(repository: string): PullAuth;
  /** Absent: no edge proxy, deployments fail with SLW_PROXY_UNAVAILABLE's message. */
  backend?: { target: Target; edge: Edge; stop(): Promise<void> };
  drainMs?: number;
}

const missing = (): never => {
  throw new SlipwayError('SLW_PROXY_UNAVAILABLE', 'this server runs without an edge proxy: start it with --proxy-listen HOST:PORT (and a Docker engine) to deploy');
};

/** Target and edge of a server started without --proxy-listen: every call says what to do. */
const unavailable: { target: Target; edge: Edge } = {
  target: { pull: missing, start: missing, inspect: missing, list: missing, stop: missing, remove: missing, logs: missing, follow: missing, hasHealthcheck: missing },
  edge: { setRoute: missing, removeRoute: missing },
};

export async function startDeployRuntime(o: DeployRuntimeOptions): Promise<DeployRuntime> {
  const backend = o.backend ?? unavailable;
  // One server per data dir (SQLite lock; several replicas on PostgreSQL are not supported yet):
  // a deployment still "running" at start was cut off by the previous process. Its lease ends
  // now, so the controller recovers it at once instead of waiting for the lease to run out.
  await o.db.updateTable('deployments').set({ lease_until: new Date(0).toISOString() }).where('status', '=', 'running').execute();
  const engine = new DeployEngine({ db: o.db, keyring: o.keyring, target: backend.target, edge: backend.edge, logger: o.logger, owner: o.owner, registryHost: o.registryHost, pullAuth: o.pullAuth, drainMs: o.drainMs });
  if (o.backend) await engine.reconcileRoutes().catch((error: unknown) => o.logger.warn({ err: error }, 'could not restore the edge routes at start'));
  const controller = new Controller<string>(
    { name: 'deploy', reconcile: (key, signal) => engine.reconcile(key, signal), list: () => engine.pending(), resyncMs: 5_000, workers: 4 },
    { logger: o.logger },
  );
  controller.start();
  return {
    enqueue: (environmentId) => controller.enqueue(environmentId),
    target: o.backend?.target ?? null,
    stop: async () => {
      await controller.stop();
      await o.backend?.stop();
    },
  };
}
