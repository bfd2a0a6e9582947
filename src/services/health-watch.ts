/**
 * Provisioned services' health on the workspace change stream: every few seconds the server
 * observes each provisioned service's workload on its target (as `service list` does) and, when
 * its health (`ready`, `starting`, `failed`, `stopped`, `unknown`) differs from the last one this
 * process saw, announces `{kind: service, change: health, status: <new health>}`. Only
 * transitions are announced, never a probe that saw the same thing again.
 *
 * What this process saw is kept in memory. The first pass after the server starts only records
 * what it sees (a client reads the health when it loads or (re)connects, so there is nothing it
 * could have missed); a service first seen by a later pass was provisioned meanwhile, and stored
 * only once `ready`, so that is its health before (a service stopped right after it was made is
 * announced). Nothing is observed while the server has no target yet (the health would be
 * `unknown` for everything, which is not news).
 *
 * @module
 */
import type { Logger } from 'pino';
import { Limit } from '../platform/limit.js';
import { announceService } from './changes.js';
import { observeProvisioned, type ServiceHealth } from './provisioning.js';
import type { ServiceContext } from './services.js';

/** The last health seen per service id; tells which sightings are transitions. */
export class HealthMemory {
  readonly #seen = new Map<string, ServiceHealth>();
  #primed = false;

  /**
   * Records `health` for `id`; true when it differs from the health before: the one seen last, or
   * for a service not seen yet `ready` once {@link primed} (before that, a first sighting is no change).
   */
  see(id: string, health: ServiceHealth): boolean {
    const before = this.#seen.get(id) ?? (this.#primed ? 'ready' : undefined);
    this.#seen.set(id, health);
    return before !== undefined && before !== health;
  }

  /** After the first whole pass: services seen from now on for the first time were provisioned since (stored once ready). */
  primed(): void {
    this.#primed = true;
  }

  /** Forgets services that are gone (`present`: the ids that still exist). */
  keepOnly(present: ReadonlySet<string>): void {
    for (const id of this.#seen.keys()) if (!present.has(id)) this.#seen.delete(id);
  }

  get size(): number {
    return this.#seen.size;
  }
}

/** A service whose health changed in one {@link checkHealth} pass. */
export interface HealthTransition {
  workspaceId: string;
  name: string;
  health: ServiceHealth;
}

/**
 * One pass: observes every provisioned service (a few at a time: each is one list call on its
 * engine and a TCP or HTTP probe of at most a second) and announces the transitions.
 */
export async function checkHealth(ctx: ServiceContext, memory: HealthMemory): Promise<HealthTransition[]> {
  const provisioning = ctx.provisioning?.() ?? null;
  if (!provisioning) return [];
  const rows = await ctx.db.selectFrom('provisioned_services as p').innerJoin('services as s', 's.id', 'p.service_id').select(['s.id', 's.workspace_id', 's.name', 'p.placement', 'p.workload']).execute();
  memory.keepOnly(new Set(rows.map((r) => r.id)));
  const limit = new Limit(4);
  const transitions: HealthTransition[] = [];
  await Promise.all(
    rows.map((r) =>
      limit.run(async () => {
        const seen = await observeProvisioned(provisioning, r);
        if (!memory.see(r.id, seen.health)) return;
        transitions.push({ workspaceId: r.workspace_id, name: r.name, health: seen.health });
        announceService(r.workspace_id, r.name, 'health', {}, seen.health);
      }),
    ),
  );
  memory.primed();
  return transitions;
}

export interface HealthWatch {
  stop(): Promise<void>;
}

/**
 * Checks every `everyMs`. 5 s: a database that stopped shows in an open panel within seconds,
 * for one list call per provisioned service on its own engine (milliseconds each); a longer
 * interval would make the panel's badge lag behind `service show`. No jitter: one loop per
 * server process against its own engine, nothing many clients hit at once. No backoff: an
 * engine that does not answer makes each observation `unknown` (announced once), at the cost of
 * one failed call per service per pass. A pass that overruns the interval delays the next one
 * rather than overlapping it.
 */
export function startHealthWatch(ctx: ServiceContext, logger: Logger, everyMs = 5_000): HealthWatch {
  const memory = new HealthMemory();
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = checkHealth(ctx, memory)
        .then(() => undefined)
        .catch((error: unknown) => logger.warn({ err: error }, "could not check provisioned services' health; trying again later"))
        .finally(schedule);
    }, everyMs);
    timer.unref();
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
