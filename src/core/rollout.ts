/**
 * The rollout as a pure, level-based state machine: given a deployment's stored phase and what
 * the target and the edge report now, the actions to take and the phase to store. The engine
 * runs one step per short reconcile (deploy/engine.ts): it observes, calls {@link step}, carries
 * out the actions (each idempotent, so a crash between them and storing the next phase only
 * repeats them), stores the phase, and asks to be called again after `requeueAfterMs`. Nothing
 * here waits.
 *
 * Strategies:
 * - `rolling` (zero downtime): the new workload grows in batches of `maxSurge`; each batch joins
 *   the route beside the old replicas once ready; then the route switches to the new replicas
 *   only, the old ones drain (until the edge reports no request in flight to them, or the cap),
 *   and are removed.
 * - `recreate` (downtime, for apps holding volumes or locks): the old replicas go first, then
 *   the new ones start and are routed once ready.
 * - scaling (`kind: 'scale'`) changes the replicas of the workload that runs: more start and join
 *   the route once ready; fewer leave the route, drain, then stop.
 *
 * - release step (`release` phase, a project whose manifest has `release:` jobs): before anything
 *   new starts (and before recreate stops the old replicas), the release jobs run against the new
 *   image as a pipeline run; the rollout goes on only once that run succeeded. A failed, timed-out
 *   or cancelled run fails the deployment at once: nothing new was started, the route never moved.
 *
 * A failure before the switch routes back to the old replicas and removes the new ones. A
 * deployment superseded before its switch ends the same way (`cancelled`); one superseded after
 * its switch completes first.
 *
 * @module
 */
import type { Strategy } from './deploy.js';

export type DeploymentKind = 'release' | 'scale';

export type Phase = 'prepare' | 'release' | 'stop-old' | 'wait-old-gone' | 'start' | 'wait-ready' | 'switch' | 'drain' | 'shrink' | 'undo' | 'finish';

/** What a deployment stores between reconciles. */
export interface RolloutState {
  /** Replicas of the new workload applied so far. */
  batch?: number;
  /** Addresses leaving the route, whose in-flight requests the drain waits for. */
  draining?: string[];
  /** Old workloads to remove once the new release serves. */
  old?: string[];
  /** How the deployment ends once its new replicas are gone (phase `undo`). */
  ending?: { status: 'failed' | 'cancelled'; error: string };
  /** Phase age (ms) when `wait-ready` last asked the target again for replicas stuck pending. */
  reappliedAtMs?: number;
}

/** One replica as its target reports it. */
export interface ObservedReplica {
  /** `<workload>-<index>`. */
  name: string;
  /** 1-based. */
  index: number;
  /**
   * `pending`: being pulled, created or started; `running`; `exited`: it stopped by itself;
   * `failed`: it cannot run as specified (the image is missing, the spec is invalid) — waiting
   * will not help; `stopping`: being removed.
   */
  state: 'pending' | 'running' | 'exited' | 'failed' | 'stopping';
  /** Ready for traffic, as the target judges it with the workload's health check. */
  ready: boolean;
  /** `host:port` where the edge reaches it; null when not running or without a port. */
  address: string | null;
  exitCode: number | null;
  /** Why it is not ready, exited or failed. */
  message: string | null;
}

export interface ObservedWorkload {
  name: string;
  instances: ObservedReplica[];
}

export interface StepInput {
  kind: DeploymentKind;
  strategy: Strategy;
  phase: Phase;
  state: RolloutState;
  /** How long the deployment has been in `phase`. */
  phaseAgeMs: number;
  /** Superseded by a newer deployment. */
  cancelling: boolean;
  supersededBy: string | null;
  /** Replicas wanted. */
  replicas: number;
  maxSurge: number;
  healthTimeoutMs: number;
  /** Shortest drain (requests the edge accepted but has not yet passed on are not counted yet). */
  drainMinMs: number;
  /** Longest drain. */
  drainCapMs: number;
  /** The workload this deployment rolls out (for `scale`: the one that runs). */
  workload: string;
  fresh: ObservedWorkload | null;
  /** The environment's other workloads. */
  others: ObservedWorkload[];
  /** Requests in flight to `state.draining`; null when the edge cannot tell. */
  inFlight: number | null;
  /** Jobs of the project's release step (0 or absent: none; a scale never runs it). */
  releaseJobs?: number;
  /** This deployment's release-step run, once started. */
  releaseRun?: { id: string; status: string; error: string | null } | null;
}

export type Action =
  | { type: 'apply'; replicas: number }
  | { type: 'route'; upstreams: string[] }
  | { type: 'remove'; workload: string }
  | { type: 'log'; step: string; message: string; level: 'info' | 'warn' | 'error' }
  /** Starts the deployment's release-step run (idempotent: one per deployment). */
  | { type: 'start-release' }
  /** Asks the release-step run to stop. */
  | { type: 'cancel-release'; run: string };

export interface StepOutcome {
  actions: Action[];
  phase: Phase;
  state: RolloutState;
  /** True when the phase starts over (its age is measured again), also when it stays the same. */
  restartPhase: boolean;
  requeueAfterMs: number;
  end?: { status: 'succeeded' | 'failed' | 'cancelled'; error: string | null };
}

/** How long to wait before looking again while replicas start or requests drain. */
export const POLL_MS = { starting: 250, draining: 100, stopping: 250, releasing: 500 } as const;

/** How long a replica may stay pending in `wait-ready` before the target is asked for it again. */
export const REAPPLY_PENDING_MS = 5_000;

const serving = (w: ObservedWorkload): string[] => w.instances.flatMap((i) => (i.state === 'running' && i.address ? [i.address] : []));
const readyAddresses = (w: ObservedWorkload | null, upTo = Infinity): string[] =>
  (w?.instances ?? []).flatMap((i) => (i.index <= upTo && i.ready && i.address ? [i.address] : []));
const log = (step: string, message: string, level: 'info' | 'warn' | 'error' = 'info'): Action => ({ type: 'log', step, message, level });

function next(phase: Phase, state: RolloutState, actions: Action[], requeueAfterMs = 0, restartPhase = true): StepOutcome {
  return { actions, phase, state, restartPhase, requeueAfterMs };
}

function wait(input: StepInput, requeueAfterMs: number, actions: Action[] = []): StepOutcome {
  return { actions, phase: input.phase, state: input.state, restartPhase: false, requeueAfterMs };
}

function end(actions: Action[], status: 'succeeded' | 'failed' | 'cancelled', error: string | null, input: StepInput): StepOutcome {
  return { actions, phase: 'finish', state: input.state, restartPhase: true, requeueAfterMs: 0, end: { status, error } };
}

/** Old workloads that serve now: the route's fallback before the switch. */
function oldServing(input: StepInput): string[] {
  const keep = new Set(input.state.old ?? input.others.map((w) => w.name));
  return input.others.filter((w) => keep.has(w.name)).flatMap(serving);
}

/** Ends a release before its switch: traffic back on the old replicas, the new ones removed. */
function undo(input: StepInput, status: 'failed' | 'cancelled', reason: string): StepOutcome {
  const back = oldServing(input);
  const actions: Action[] = [];
  if (input.kind === 'scale') {
    actions.push(log(status === 'cancelled' ? 'cancelled' : 'failed', `${reason}; the replicas that serve keep serving`, status === 'cancelled' ? 'warn' : 'error'));
    return end(actions, status, reason, input);
  }
  if (input.strategy === 'rolling') {
    actions.push({ type: 'route', upstreams: back });
    actions.push(log(status === 'cancelled' ? 'cancelled' : 'rollback', `${reason}; traffic stays on the old release`, status === 'cancelled' ? 'warn' : 'error'));
  } else {
    actions.push(log(status === 'cancelled' ? 'cancelled' : 'failed', `${reason}; nothing runs in this environment now`, 'error'));
  }
  actions.push({ type: 'remove', workload: input.workload });
  return next('undo', { ...input.state, ending: { status, error: reason } }, actions, POLL_MS.stopping);
}

/** Ends the deployment once its new replicas are gone, so nothing it started outlives it. */
function undone(input: StepInput): StepOutcome {
  const ending = input.state.ending ?? { status: 'failed' as const, error: 'undone' };
  if (input.fresh === null || input.fresh.instances.length === 0) return end([], ending.status, ending.error, input);
  if (input.phaseAgeMs > 120_000) return end([log('undo', `${input.workload} still stopping after 2 minutes; leaving it to the target`, 'warn')], ending.status, ending.error, input);
  return wait(input, POLL_MS.stopping);
}

/** The first replica that will not become ready by waiting, if any. */
function broken(w: ObservedWorkload | null, upTo: number): ObservedReplica | undefined {
  return w?.instances.find((i) => i.index <= upTo && (i.state === 'failed' || i.state === 'exited'));
}

function notReadyReason(w: ObservedWorkload | null, upTo: number): string {
  const r = w?.instances.find((i) => i.index <= upTo && !i.ready);
  return r ? `${r.name}: ${r.message ?? r.state}` : 'no replica reported yet';
}

/** One step of the rollout. */
export function step(input: StepInput): StepOutcome {
  const cancelReason = `superseded by deployment ${input.supersededBy ?? '?'}`;
  if (input.phase === 'release') return releaseStep(input, cancelReason);
  const beforeSwitch = input.phase === 'prepare' || input.phase === 'start' || input.phase === 'wait-ready' || (input.strategy === 'recreate' && input.kind === 'release');
  if (input.cancelling && beforeSwitch && input.phase !== 'finish' && input.phase !== 'undo') return undo(input, 'cancelled', cancelReason);
  switch (input.phase) {
    case 'prepare':
      return prepare(input);
    case 'stop-old':
      return stopOld(input);
    case 'wait-old-gone':
      return waitOldGone(input);
    case 'start': {
      const batch = input.state.batch ?? Math.min(input.replicas, Math.max(1, input.maxSurge));
      return next('wait-ready', { ...input.state, batch }, [log('start', `starting ${batch === input.replicas ? batch : `${batch} of ${input.replicas}`} replica(s) of ${input.workload}`), { type: 'apply', replicas: batch }], POLL_MS.starting);
    }
    case 'wait-ready':
      return waitReady(input);
    case 'switch': {
      const upstreams = readyAddresses(input.fresh);
      const draining = oldServing(input).filter((a) => !upstreams.includes(a));
      const actions: Action[] = [{ type: 'route', upstreams }, log('switch', `traffic switched to the new release (${upstreams.join(', ')})`)];
      if ((input.state.old ?? []).length === 0) return end(actions, 'succeeded', null, input);
      return next('drain', { ...input.state, draining }, [...actions, log('drain', `old replicas drain (up to ${Math.round(input.drainCapMs / 1000)} s, until no request is in flight)`)], input.drainMinMs);
    }
    case 'drain':
      return drain(input);
    case 'shrink': {
      const have = input.fresh?.instances.length ?? 0;
      if (have <= input.replicas) return end([log('scale', `${input.replicas} replica(s) serve`)], 'succeeded', null, input);
      // Asked for on the way in; asked again only if it seems lost (a restart of the control plane).
      return wait(input, POLL_MS.stopping, input.phaseAgeMs > 15_000 ? [{ type: 'apply', replicas: input.replicas }] : []);
    }
    case 'undo':
      return undone(input);
    case 'finish':
      return end([], 'succeeded', null, input);
  }
}

function prepare(input: StepInput): StepOutcome {
  if (input.kind === 'scale') {
    const have = input.fresh?.instances.length ?? 0;
    if (!input.fresh || have === 0) return end([log('scale', 'nothing runs in this environment to scale', 'error')], 'failed', 'nothing runs in this environment to scale; deploy first', input);
    if (input.replicas > have) return next('start', { batch: input.replicas }, [log('scale', `scaling from ${have} to ${input.replicas} replica(s)`)]);
    if (input.replicas === have) return end([log('scale', `already ${have} replica(s)`)], 'succeeded', null, input);
    const keep = readyAddresses(input.fresh, input.replicas);
    const draining = input.fresh.instances.flatMap((i) => (i.index > input.replicas && i.address ? [i.address] : []));
    return next('drain', { draining }, [log('scale', `scaling from ${have} to ${input.replicas} replica(s)`), { type: 'route', upstreams: keep }], input.drainMinMs);
  }
  // Leftovers that do not serve (a failed or interrupted release) go at once; the serving ones after the switch.
  const actions: Action[] = [];
  const old: string[] = [];
  for (const w of input.others) {
    if (serving(w).length > 0) old.push(w.name);
    else actions.push({ type: 'remove', workload: w.name });
  }
  if ((input.releaseJobs ?? 0) > 0) {
    return next('release', { old }, [...actions, log('release', `release step: ${input.releaseJobs} job(s) run against the new image before anything new starts or traffic moves`), { type: 'start-release' }], POLL_MS.releasing);
  }
  if (input.strategy === 'recreate' && old.length > 0) return next('stop-old', { old }, actions);
  return next('start', { old }, actions);
}

/** The release step: start its run, wait for its end, go on or fail. Nothing new runs yet, so a failure has nothing to undo. */
function releaseStep(input: StepInput, cancelReason: string): StepOutcome {
  const run = input.releaseRun ?? null;
  if (input.cancelling) {
    const actions: Action[] = run && (run.status === 'queued' || run.status === 'running') ? [{ type: 'cancel-release', run: run.id }] : [];
    actions.push(log('cancelled', `${cancelReason}; the release step was stopped, traffic stays on the old release`, 'warn'));
    return end(actions, 'cancelled', cancelReason, input);
  }
  if (run === null) return wait(input, POLL_MS.releasing, [{ type: 'start-release' }]);
  if (run.status === 'queued' || run.status === 'running') return wait(input, POLL_MS.releasing);
  if (run.status === 'succeeded') {
    const state = input.state;
    const actions = [log('release', `release step succeeded (run ${run.id})`)];
    if (input.strategy === 'recreate' && (state.old ?? []).length > 0) return next('stop-old', state, actions);
    return next('start', state, actions);
  }
  const reason = `release step ${run.status === 'timed-out' ? 'timed out' : run.status}: ${run.error ?? 'no reason given'} (run ${run.id})`;
  return end([log('release', `${reason}; nothing new was started, traffic stays on the old release`, 'error')], 'failed', reason, input);
}

function stopOld(input: StepInput): StepOutcome {
  const old = input.state.old ?? [];
  return next('wait-old-gone', input.state, [
    log('stop-old', `recreate: stopping ${old.length} old workload(s) first (the environment is down until the new replicas are ready)`, 'warn'),
    { type: 'route', upstreams: [] },
    ...old.map((workload): Action => ({ type: 'remove', workload })),
  ], POLL_MS.stopping);
}

function waitOldGone(input: StepInput): StepOutcome {
  const old = new Set(input.state.old ?? []);
  const left = input.others.filter((w) => old.has(w.name));
  if (left.length === 0) {
    // Recreate stops the old workloads before it starts anything (no batch yet); rolling after its switch.
    if (input.strategy === 'recreate' && input.kind === 'release' && input.state.batch === undefined) return next('start', { ...input.state, batch: input.replicas }, []);
    return end([log('stop-old', `stopped ${old.size} old workload(s)`)], 'succeeded', null, input);
  }
  // A stop takes the grace period at most (10 s); past two minutes something is stuck: say so and finish.
  if (input.phaseAgeMs > 120_000) return end([log('stop-old', `old workload(s) ${left.map((w) => w.name).join(', ')} still stopping after 2 minutes; leaving them to the target`, 'warn')], 'succeeded', null, input);
  return wait(input, POLL_MS.stopping);
}

function waitReady(input: StepInput): StepOutcome {
  const batch = input.state.batch ?? input.replicas;
  const bad = broken(input.fresh, batch);
  if (bad) return undo(input, 'failed', `${bad.name} did not become ready: ${bad.message ?? `it ${bad.state}`}`);
  const ready = readyAddresses(input.fresh, batch);
  if (ready.length >= batch) {
    const actions: Action[] = [log('ready', `${ready.length} new replica(s) ready`)];
    if (input.kind === 'scale' || input.strategy === 'recreate') {
      actions.push({ type: 'route', upstreams: readyAddresses(input.fresh) }, log(input.kind === 'scale' ? 'scale' : 'switch', `traffic routed to ${readyAddresses(input.fresh).length} replica(s) (${readyAddresses(input.fresh).join(', ')})`));
      return end(actions, 'succeeded', null, input);
    }
    const old = oldServing(input);
    actions.push({ type: 'route', upstreams: [...old, ...ready] }, log('route', `${ready.length} new and ${old.length} old replica(s) in the route`));
    if (batch < input.replicas) {
      const more = Math.min(input.replicas, batch + Math.max(1, input.maxSurge));
      return next('wait-ready', { ...input.state, batch: more }, [...actions, log('start', `starting replicas ${batch + 1}–${more} of ${input.replicas}`), { type: 'apply', replicas: more }], POLL_MS.starting);
    }
    return next('switch', input.state, actions);
  }
  if (input.phaseAgeMs > input.healthTimeoutMs) {
    return undo(input, 'failed', `${notReadyReason(input.fresh, batch).split(':')[0]} did not become ready: not ready within ${Math.round(input.healthTimeoutMs / 1000)}s (${notReadyReason(input.fresh, batch).split(': ').slice(1).join(': ') || 'no answer'})`);
  }
  // After a restart of the control plane the target may not have the request any more (replicas
  // missing, or made but never started when the old process died in between): asking again is
  // harmless. Replicas pending for a while are asked for again every few seconds, not every poll.
  const missing = (input.fresh?.instances.filter((i) => i.index <= batch).length ?? 0) < batch;
  const pending = input.fresh?.instances.some((i) => i.index <= batch && i.state === 'pending') ?? false;
  const stalled = pending && input.phaseAgeMs - (input.state.reappliedAtMs ?? 0) >= REAPPLY_PENDING_MS;
  if (stalled) return { ...wait(input, POLL_MS.starting, [{ type: 'apply', replicas: batch }]), state: { ...input.state, reappliedAtMs: input.phaseAgeMs } };
  return wait(input, POLL_MS.starting, missing ? [{ type: 'apply', replicas: batch }] : []);
}

function drain(input: StepInput): StepOutcome {
  const quiet = input.inFlight === 0 && input.phaseAgeMs >= input.drainMinMs;
  const capped = input.phaseAgeMs >= input.drainCapMs || (input.inFlight === null && input.phaseAgeMs >= Math.max(input.drainMinMs, 2000));
  if (!quiet && !capped) return wait(input, POLL_MS.draining);
  const how = quiet ? 'no request in flight' : `${input.inFlight ?? 'unknown'} request(s) still in flight after ${Math.round(input.phaseAgeMs / 1000)} s`;
  const drained = log('drain', `drained (${how})`);
  if (input.kind === 'scale') return next('shrink', input.state, [drained, { type: 'apply', replicas: input.replicas }], POLL_MS.stopping);
  const old = input.state.old ?? [];
  return next('wait-old-gone', input.state, [drained, ...old.map((workload): Action => ({ type: 'remove', workload })), log('stop-old', `stopping ${old.length} old workload(s)`)], POLL_MS.stopping);
}
