/**
 * Moving an environment from what runs to a new release, over the target and edge ports.
 *
 * `rolling` (zero downtime): start the new replicas in batches of `maxSurge`, wait until each is
 * ready, add them to the route beside the old ones; then route to the new ones only, let
 * in-flight requests to the old ones drain, and stop and remove the old ones. A new replica that
 * never gets ready fails the release before the switch: the route goes back to the old replicas
 * and every new one is removed.
 *
 * `recreate` (downtime, for apps holding volumes or locks): stop and remove the old replicas,
 * then start the new ones and route to them once ready.
 *
 * @module
 */
import type { Strategy } from '../core/deploy.js';
import { waitReady, type ReadinessCheck } from './readiness.js';
import type { Edge, Replica, ReplicaSpec, Target } from './target.js';

export interface Rollout {
  target: Target;
  edge: Edge;
  routeId: string;
  hosts: string[];
  /** The new release's replicas, in order. */
  replicas: ReplicaSpec[];
  /** Replicas of earlier releases that run now. */
  old: Replica[];
  strategy: Strategy;
  maxSurge: number;
  readiness: ReadinessCheck;
  /** How long old replicas keep serving in-flight requests after the switch. */
  drainMs: number;
  stopGraceSeconds: number;
  log(step: string, message: string, level?: 'info' | 'warn' | 'error'): Promise<void>;
  /** Called between steps: records the phase and renews the operation's lease. */
  phase(name: string): Promise<void>;
  signal: AbortSignal;
}

export type RolloutResult = { ok: true; addresses: string[] } | { ok: false; reason: string };

class RolloutFailed extends Error {}

const addresses = (replicas: Replica[]) => replicas.flatMap((r) => (r.running && r.address ? [r.address] : []));

async function startReady(r: Rollout, spec: ReplicaSpec): Promise<Replica> {
  await r.log('start', `starting ${spec.name}`);
  const replica = await r.target.start(spec);
  const why = await waitReady(r.readiness, () => r.target.inspect(spec.name), r.signal);
  if (why !== null) {
    const tail = await r.target.logs(spec.name, 20).catch(() => [] as string[]);
    for (const line of tail) await r.log('app', line, 'warn');
    throw new RolloutFailed(`${spec.name} did not become ready: ${why}`);
  }
  const ready = (await r.target.inspect(spec.name)) ?? replica;
  await r.log('ready', `${spec.name} is ready at ${ready.address ?? '?'}`);
  return ready;
}

async function removeAll(r: Rollout, replicas: { name: string }[], stop: boolean): Promise<void> {
  for (const replica of replicas) {
    if (stop) await r.target.stop(replica.name, r.stopGraceSeconds).catch(() => undefined);
    await r.target.remove(replica.name).catch(() => undefined);
  }
}

export async function rollout(r: Rollout): Promise<RolloutResult> {
  return r.strategy === 'recreate' ? recreate(r) : rolling(r);
}

async function rolling(r: Rollout): Promise<RolloutResult> {
  const oldAddresses = addresses(r.old);
  const started: Replica[] = [];
  try {
    for (let i = 0; i < r.replicas.length; i += Math.max(1, r.maxSurge)) {
      await r.phase('start');
      const batch = r.replicas.slice(i, i + Math.max(1, r.maxSurge));
      for (const spec of batch) started.push(await startReady(r, spec));
      await r.phase('route');
      await r.edge.setRoute(r.routeId, r.hosts, [...oldAddresses, ...addresses(started)]);
      await r.log('route', `${addresses(started).length} new and ${oldAddresses.length} old replica(s) in the route`);
    }
    await r.edge.setRoute(r.routeId, r.hosts, addresses(started));
    await r.log('switch', `traffic switched to the new release (${addresses(started).join(', ')})`);
  } catch (error) {
    const reason = error instanceof RolloutFailed ? error.message : `deploy step failed: ${(error as Error).message}`;
    await r.log('rollback', `${reason}; traffic stays on the old release`, 'error');
    if (oldAddresses.length > 0) await r.edge.setRoute(r.routeId, r.hosts, oldAddresses).catch(() => undefined);
    await removeAll(r, r.replicas, true);
    return { ok: false, reason };
  }
  if (r.old.length > 0) {
    await r.phase('drain');
    await r.log('drain', `old replicas drain for ${r.drainMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, r.drainMs));
    await r.phase('stop-old');
    await removeAll(r, r.old, true);
    await r.log('stop-old', `stopped ${r.old.length} old replica(s)`);
  }
  return { ok: true, addresses: addresses(started) };
}

async function recreate(r: Rollout): Promise<RolloutResult> {
  if (r.old.length > 0) {
    await r.phase('stop-old');
    await r.log('stop-old', `recreate: stopping ${r.old.length} old replica(s) first (the environment is down until the new ones are ready)`, 'warn');
    await r.edge.setRoute(r.routeId, r.hosts, []);
    await removeAll(r, r.old, true);
  }
  const started: Replica[] = [];
  try {
    await r.phase('start');
    for (const spec of r.replicas) started.push(await startReady(r, spec));
  } catch (error) {
    const reason = error instanceof RolloutFailed ? error.message : `deploy step failed: ${(error as Error).message}`;
    await r.log('failed', `${reason}; nothing runs in this environment now`, 'error');
    await removeAll(r, r.replicas, true);
    return { ok: false, reason };
  }
  await r.phase('route');
  await r.edge.setRoute(r.routeId, r.hosts, addresses(started));
  await r.log('switch', `traffic routed to the new release (${addresses(started).join(', ')})`);
  return { ok: true, addresses: addresses(started) };
}
