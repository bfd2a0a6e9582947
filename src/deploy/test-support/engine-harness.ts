/**
 * The deploy engine on a real store (SQLite or PostgreSQL) with the in-memory target, whose
 * replicas are real HTTP servers on loopback, and an edge that keeps its routes in a map (the
 * real Caddy is exercised by test/deploy). Reconciles are driven by the test, as the controller
 * would: `settle()` runs every environment until nothing is left to do.
 *
 * @module
 */
import pino from 'pino';
import { MemoryTarget } from '../../targets/memory/memory-target.js';
import type { Db } from '../../store/schema.js';
import type { Keyring } from '../../secrets/secrets.js';
import { testKeyring } from '../../../test/support/service-fixtures.js';
import { DeployEngine } from '../engine.js';
import { staticPlacements } from '../placements.js';
import type { Edge, Placements } from '../target.js';

export class MapEdge implements Edge {
  readonly routes = new Map<string, { hosts: string[]; upstreams: string[] }>();
  /** What `inFlight` answers (null: the edge cannot tell). */
  inFlightAnswer: number | null = 0;
  readonly history: Array<{ id: string; upstreams: string[] }> = [];

  async setRoute(id: string, hosts: string[], upstreams: string[]): Promise<void> {
    this.routes.set(id, { hosts, upstreams });
    this.history.push({ id, upstreams });
  }

  async removeRoute(id: string): Promise<void> {
    this.routes.delete(id);
    this.history.push({ id, upstreams: [] });
  }

  async inFlight(): Promise<number> {
    if (this.inFlightAnswer === null) throw new Error('cannot tell');
    return this.inFlightAnswer;
  }
}

export interface Harness {
  placements: Placements;
  target: MemoryTarget;
  edge: MapEdge;
  engine: DeployEngine;
  /** Reconciles `environmentId` until its deployments end (or `maxMs` passes). */
  settle(environmentId: string, maxMs?: number): Promise<void>;
  /** Reconciles once; returns the requeue delay asked for. */
  once(environmentId: string): Promise<number | undefined>;
  close(): Promise<void>;
}

export function engineHarness(db: Db, options: { keyring?: Keyring; owner?: string; target?: MemoryTarget; edge?: MapEdge; drainMinMs?: number; drainCapMs?: number; leaseMs?: number } = {}): Harness {
  const target = options.target ?? new MemoryTarget({ name: 'local' });
  const edge = options.edge ?? new MapEdge();
  const placements = staticPlacements({ local: { target, edge } });
  const engine = new DeployEngine({
    db,
    keyring: options.keyring ?? testKeyring(),
    logger: pino({ level: 'silent' }),
    owner: options.owner ?? 'test-engine',
    placements,
    registry: { host: 'memory', auth: () => ({ registry: 'memory', username: 'u', password: 'p' }) },
    instance: 'itest',
    drainMinMs: options.drainMinMs ?? 0,
    drainCapMs: options.drainCapMs ?? 2000,
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
  });
  const signal = new AbortController().signal;
  const once = async (id: string) => (await engine.reconcile(id, signal))?.requeueAfterMs;
  return {
    placements,
    target,
    edge,
    engine,
    once,
    async settle(id, maxMs = 15_000) {
      const until = Date.now() + maxMs;
      for (;;) {
        const pending = await db.selectFrom('deployments').select('id').where('environment_id', '=', id).where('status', 'in', ['queued', 'running', 'cancelling']).execute();
        if (pending.length === 0) return;
        if (Date.now() > until) throw new Error(`deployments of ${id} did not end within ${maxMs} ms`);
        const wait = await once(id);
        await new Promise((r) => setTimeout(r, Math.min(wait ?? 0, 100)));
      }
    },
    async close() {
      engine.stop();
      await target.close();
    },
  };
}
