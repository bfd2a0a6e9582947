import { describe, expect, it } from 'vitest';
import { step, type ObservedWorkload, type StepInput } from './rollout.js';

const replica = (index: number, over: Partial<ObservedWorkload['instances'][number]> = {}) => ({
  index,
  name: `w-${index}`,
  state: 'running' as const,
  ready: true,
  address: `127.0.0.1:${9000 + index}`,
  exitCode: null,
  message: null,
  ...over,
});

const base = (over: Partial<StepInput> = {}): StepInput => ({
  kind: 'release',
  strategy: 'rolling',
  phase: 'prepare',
  state: {},
  phaseAgeMs: 0,
  cancelling: false,
  supersededBy: null,
  replicas: 2,
  maxSurge: 1,
  healthTimeoutMs: 60_000,
  drainMinMs: 500,
  drainCapMs: 30_000,
  workload: 'new',
  fresh: null,
  others: [{ name: 'old', instances: [replica(1, { address: '127.0.0.1:8001' })] }],
  inFlight: null,
  ...over,
});

describe('rollout step', () => {
  it('prepares a rolling release: serving workloads are kept for later, leftovers go now', () => {
    const out = step(base({ others: [{ name: 'old', instances: [replica(1)] }, { name: 'failed-before', instances: [replica(1, { state: 'exited', address: null })] }] }));
    expect(out.phase).toBe('start');
    expect(out.state.old).toEqual(['old']);
    expect(out.actions).toContainEqual({ type: 'remove', workload: 'failed-before' });
  });

  it('starts the first batch of maxSurge replicas and waits', () => {
    const out = step(base({ phase: 'start', state: { old: ['old'] } }));
    expect(out.phase).toBe('wait-ready');
    expect(out.state.batch).toBe(1);
    expect(out.actions).toContainEqual({ type: 'apply', replicas: 1 });
    expect(out.requeueAfterMs).toBeGreaterThan(0);
  });

  it('adds a ready batch to the route beside the old replicas, then grows the next batch', () => {
    const out = step(base({ phase: 'wait-ready', state: { old: ['old'], batch: 1 }, fresh: { name: 'new', instances: [replica(1)] } }));
    expect(out.actions).toContainEqual({ type: 'route', upstreams: ['127.0.0.1:8001', '127.0.0.1:9001'] });
    expect(out.actions).toContainEqual({ type: 'apply', replicas: 2 });
    expect(out.state.batch).toBe(2);
    expect(out.restartPhase).toBe(true);
  });

  it('fails with the reason of the first replica that is not ready once the health timeout passed, routing back', () => {
    const out = step(base({ phase: 'wait-ready', phaseAgeMs: 61_000, state: { old: ['old'], batch: 1 }, fresh: { name: 'new', instances: [replica(1, { ready: false, message: 'GET / answered 503' })] } }));
    expect(out.phase).toBe('undo');
    expect(out.state.ending).toEqual({ status: 'failed', error: 'w-1 did not become ready: not ready within 60s (GET / answered 503)' });
    expect(out.actions).toContainEqual({ type: 'route', upstreams: ['127.0.0.1:8001'] });
    expect(out.actions).toContainEqual({ type: 'remove', workload: 'new' });
  });

  it('asks the target again for replicas stuck pending (made but never started when a control plane died), every few seconds only', () => {
    const stuck = { name: 'new', instances: [replica(1, { state: 'pending', ready: false, address: null })] };
    const early = step(base({ phase: 'wait-ready', phaseAgeMs: 1_000, state: { old: ['old'], batch: 1 }, fresh: stuck }));
    expect(early.actions).toEqual([]);
    const late = step(base({ phase: 'wait-ready', phaseAgeMs: 6_000, state: { old: ['old'], batch: 1 }, fresh: stuck }));
    expect(late.actions).toEqual([{ type: 'apply', replicas: 1 }]);
    expect(late.state.reappliedAtMs).toBe(6_000);
    expect(late.phase).toBe('wait-ready');
    const again = step(base({ phase: 'wait-ready', phaseAgeMs: 7_000, state: late.state, fresh: stuck }));
    expect(again.actions).toEqual([]);
    expect(step(base({ phase: 'wait-ready', phaseAgeMs: 11_000, state: late.state, fresh: stuck })).actions).toEqual([{ type: 'apply', replicas: 1 }]);
  });

  it('ends an undo only when the new replicas are gone', () => {
    const ending = { status: 'failed' as const, error: 'x' };
    expect(step(base({ phase: 'undo', state: { ending }, fresh: { name: 'new', instances: [replica(1, { state: 'stopping' })] } })).end).toBeUndefined();
    expect(step(base({ phase: 'undo', state: { ending }, fresh: null })).end).toEqual(ending);
  });

  it('drains until nothing is in flight after the shortest drain, or until the cap; without a count it waits the shortest drain, at least 2 s', () => {
    const drain = (inFlight: number | null, phaseAgeMs: number) => step(base({ phase: 'drain', state: { old: ['old'], draining: ['127.0.0.1:8001'] }, inFlight, phaseAgeMs })).phase;
    expect(drain(0, 100)).toBe('drain');
    expect(drain(0, 600)).toBe('wait-old-gone');
    expect(drain(2, 10_000)).toBe('drain');
    expect(drain(2, 30_000)).toBe('wait-old-gone');
    expect(drain(null, 1_000)).toBe('drain');
    expect(drain(null, 2_000)).toBe('wait-old-gone');
  });

  it('a superseded release is undone before its switch and completed after it', () => {
    const before = step(base({ phase: 'wait-ready', cancelling: true, supersededBy: 'dep_2', state: { old: ['old'], batch: 1 } }));
    expect(before.phase).toBe('undo');
    expect(before.state.ending).toEqual({ status: 'cancelled', error: 'superseded by deployment dep_2' });
    const after = step(base({ phase: 'drain', cancelling: true, state: { old: ['old'], draining: [] }, inFlight: 0, phaseAgeMs: 1000 }));
    expect(after.phase).toBe('wait-old-gone');
  });

  it('scaling down takes the highest replicas out of the route, drains them, then shrinks', () => {
    const fresh = { name: 'cur', instances: [replica(1), replica(2), replica(3)] };
    const out = step(base({ kind: 'scale', replicas: 1, workload: 'cur', fresh, others: [] }));
    expect(out.phase).toBe('drain');
    expect(out.actions).toContainEqual({ type: 'route', upstreams: ['127.0.0.1:9001'] });
    expect(out.state.draining).toEqual(['127.0.0.1:9002', '127.0.0.1:9003']);
    const shrink = step(base({ kind: 'scale', phase: 'drain', replicas: 1, workload: 'cur', fresh, others: [], state: out.state, inFlight: 0, phaseAgeMs: 1000 }));
    expect(shrink.phase).toBe('shrink');
    expect(shrink.actions).toContainEqual({ type: 'apply', replicas: 1 });
  });

  it('recreate removes the route and the old workloads first', () => {
    const out = step(base({ strategy: 'recreate', phase: 'stop-old', state: { old: ['old'] } }));
    expect(out.actions.slice(1, 3)).toEqual([{ type: 'route', upstreams: [] }, { type: 'remove', workload: 'old' }]);
    const started = step(base({ strategy: 'recreate', phase: 'wait-old-gone', state: { old: ['old'] }, others: [] }));
    expect(started).toMatchObject({ phase: 'start', state: { batch: 2 } });
  });
});

describe('rollout step: the release step', () => {
  it('runs the release step before anything new starts when the project has one', () => {
    const out = step(base({ releaseJobs: 2 }));
    expect(out.phase).toBe('release');
    expect(out.state.old).toEqual(['old']);
    expect(out.actions).toContainEqual({ type: 'start-release' });
    expect(out.actions.some((a) => a.type === 'apply' || a.type === 'route')).toBe(false);
  });

  it('skips the release step for a scale and for a project without one', () => {
    expect(step(base()).phase).toBe('start');
    const scale = step(base({ kind: 'scale', replicas: 3, releaseJobs: 2, fresh: { name: 'new', instances: [replica(1)] } }));
    expect(scale.phase).toBe('start');
  });

  it('waits while the release run is queued or running, starting it again if it is missing', () => {
    const missing = step(base({ phase: 'release', state: { old: ['old'] }, releaseJobs: 1, releaseRun: null }));
    expect(missing.actions).toEqual([{ type: 'start-release' }]);
    expect(missing.phase).toBe('release');
    const running = step(base({ phase: 'release', state: { old: ['old'] }, releaseJobs: 1, releaseRun: { id: 'run_1', status: 'running', error: null } }));
    expect(running.actions).toEqual([]);
    expect(running.restartPhase).toBe(false);
    expect(running.requeueAfterMs).toBeGreaterThan(0);
  });

  it('goes on to start the new replicas once the release run succeeded (rolling), or stops the old ones first (recreate)', () => {
    const ok = { id: 'run_1', status: 'succeeded', error: null };
    expect(step(base({ phase: 'release', state: { old: ['old'] }, releaseJobs: 1, releaseRun: ok })).phase).toBe('start');
    expect(step(base({ strategy: 'recreate', phase: 'release', state: { old: ['old'] }, releaseJobs: 1, releaseRun: ok })).phase).toBe('stop-old');
  });

  it('fails the deployment when the release run fails, without touching the route or the old replicas', () => {
    const out = step(base({ phase: 'release', state: { old: ['old'] }, releaseJobs: 1, releaseRun: { id: 'run_1', status: 'failed', error: "job 'migrate' exited with code 1" } }));
    expect(out.end?.status).toBe('failed');
    expect(out.end?.error).toContain("job 'migrate' exited with code 1");
    expect(out.actions.filter((a) => a.type !== 'log')).toEqual([]);
    const timedOut = step(base({ phase: 'release', state: { old: ['old'] }, releaseJobs: 1, releaseRun: { id: 'run_2', status: 'timed-out', error: "job 'migrate' exceeded its timeout of 5s" } }));
    expect(timedOut.end?.error).toMatch(/^release step timed out/);
  });

  it('stops the release run when superseded', () => {
    const out = step(base({ phase: 'release', cancelling: true, supersededBy: 'dep_2', state: { old: ['old'] }, releaseJobs: 1, releaseRun: { id: 'run_1', status: 'running', error: null } }));
    expect(out.end?.status).toBe('cancelled');
    expect(out.actions).toContainEqual({ type: 'cancel-release', run: 'run_1' });
  });
});
