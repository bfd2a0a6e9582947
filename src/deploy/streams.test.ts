/**
 * The deploy context's event streams as plain async generators, on a real store (both engines)
 * and the in-memory target: a deployment's log (resume, follow to the end, stop on abort), an
 * environment's runtime output, a workspace's changes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workloadName } from '../core/deploy.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { SseMessage } from '../platform/sse.js';
import { engines } from '../../test/support/engines.js';
import { environment, project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { requestDeploy } from './deployments.js';
import { announceChange, appendEvent, deployBus } from './events.js';
import { releaseIds } from './spec.js';
import { deployLog, resumeAfter, runtimeOutput, workspaceChangeEvents } from './streams.js';
import { engineHarness } from './test-support/engine-harness.js';

/** Collects a stream's events until it ends. */
async function collect(events: AsyncIterable<SseMessage>): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('resumeAfter', () => {
  it('takes Last-Event-ID, else ?after=, and reads anything but a whole number as 0', () => {
    expect(resumeAfter('7', '3')).toBe(7);
    expect(resumeAfter(undefined, '3')).toBe(3);
    expect(resumeAfter(undefined, undefined)).toBe(0);
    for (const bad of ['-1', 'abc', '1.5', '1e400']) expect(resumeAfter(bad, undefined)).toBe(0);
  });
});

describe('workspaceChangeEvents', () => {
  it("yields the workspace's changes with increasing ids, never another workspace's, until aborted", async () => {
    const abort = new AbortController();
    const events = workspaceChangeEvents('ws_a', abort.signal)[Symbol.asyncIterator]();
    const first = events.next();
    announceChange('ws_b', { kind: 'deployment', id: 'd0', project: 'p', environment: 'dev', status: 'queued' });
    announceChange('ws_a', { kind: 'deployment', id: 'd1', project: 'p', environment: 'dev', status: 'queued' });
    announceChange('ws_a', { kind: 'promotion', id: 'p1', project: 'p', environment: 'prod', status: 'pending-approval' });
    const a = (await first).value as SseMessage;
    const b = (await events.next()).value as SseMessage;
    expect(a).toMatchObject({ event: 'change', data: { kind: 'deployment', id: 'd1', status: 'queued', at: expect.any(String) } });
    expect(b).toMatchObject({ event: 'change', data: { kind: 'promotion', id: 'p1', environment: 'prod' } });
    expect(Number(b.id)).toBeGreaterThan(Number(a.id));
    const last = events.next();
    abort.abort();
    expect(await last).toEqual({ done: true, value: undefined });
  });
});

describe.each(engines)('deploy streams on %s', (engine) => {
  let ctx: TestContext;
  let env: EnvironmentAccess;

  beforeEach(async () => {
    ctx = await setupContext(engine);
    env = await environment(ctx, await project(ctx, await workspace(ctx, 'acme', 'high'), 'serve'), 'dev');
  });
  afterEach(async () => ctx.cleanup());

  const deploy = async () => (await requestDeploy(ctx.db, env, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger: 'deploy', actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId } })).deployment.id;

  it('a deployment log: events with their sequence numbers after the resume point, then its end', async () => {
    const id = await deploy();
    for (const step of ['pull', 'start', 'switch']) await appendEvent(ctx.db, id, step, `${step} done`);
    const all = await collect(deployLog(ctx.db, id, 0, false, new AbortController().signal));
    // The request itself logged event 1 (queued).
    expect(all.map((e) => [e.id, e.event])).toEqual([[1, 'log'], [2, 'log'], [3, 'log'], [4, 'log'], [undefined, 'end']]);
    expect(all[1]!.data).toEqual({ at: expect.any(String), level: 'info', step: 'pull', message: 'pull done' });
    expect(all[4]!.data).toEqual({ status: 'queued', error: null, logsPrunedAt: null });
    const rest = await collect(deployLog(ctx.db, id, 3, false, new AbortController().signal));
    expect(rest.map((e) => e.id)).toEqual([4, undefined]);
  });

  it('a followed deployment log waits for new events and ends when the deployment does', async () => {
    const id = await deploy();
    const seen: SseMessage[] = [];
    const following = (async () => {
      for await (const e of deployLog(ctx.db, id, 0, true, new AbortController().signal)) seen.push(e);
    })();
    await appendEvent(ctx.db, id, 'start', 'one');
    while (seen.length < 2) await new Promise((r) => setTimeout(r, 10));
    await appendEvent(ctx.db, id, 'switch', 'two');
    await ctx.db.updateTable('deployments').set({ status: 'failed', error: 'no luck' }).where('id', '=', id).execute();
    deployBus.emit(id);
    await following;
    expect(seen.map((e) => [e.id, e.event])).toEqual([[1, 'log'], [2, 'log'], [3, 'log'], [undefined, 'end']]);
    expect(seen[3]!.data).toEqual({ status: 'failed', error: 'no luck', logsPrunedAt: null });
    expect(deployBus.listenerCount(id)).toBe(0);
  });

  it('a followed deployment log stops when its signal aborts', async () => {
    const id = await deploy();
    const abort = new AbortController();
    const following = collect(deployLog(ctx.db, id, 0, true, abort.signal));
    while (deployBus.listenerCount(id) === 0) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    expect((await following).map((e) => e.event)).toEqual(['log']);
    expect(deployBus.listenerCount(id)).toBe(0);
  });

  it("runtime output: the replicas' lines, following until aborted; without a release, only the end and why", async () => {
    const nothing = await runtimeOutput(null, null, 20, 'serve/dev runs nothing yet');
    expect(await collect(nothing(new AbortController().signal))).toEqual([{ event: 'end', data: { replicas: 0, reason: 'serve/dev runs nothing yet' } }]);

    const h = engineHarness(ctx.db);
    try {
      await deploy();
      await h.settle(env.environment.id);
      const source = await runtimeOutput(h.target, workloadName(releaseIds(env, 1)), 20);
      const abort = new AbortController();
      const events = source(abort.signal)[Symbol.asyncIterator]();
      const first = (await events.next()).value as SseMessage;
      expect(first).toMatchObject({ event: 'log', data: { replica: expect.stringContaining('slw-acme-serve-dev-r1'), stream: 'stdout', line: expect.any(String) } });
      expect(first.id).toBeUndefined();
      abort.abort();
      const rest: SseMessage[] = [];
      for (let n = await events.next(); !n.done; n = await events.next()) rest.push(n.value);
      expect(rest.filter((e) => e.event !== 'log').map((e) => e.event)).toEqual(['end']);
    } finally {
      await h.close();
    }
  });
});
