import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Controller } from './controller.js';
import { TerminalError, type Logger } from './reconcile.js';
import { settle } from './test-support/fake-clock.js';
import { harness, prng } from './test-support/harness.js';
import { deferred } from './test-support/recording-logger.js';

const running: Controller<string>[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

function setup(...args: Parameters<typeof harness>) {
  const h = harness(...args);
  running.push(h.controller);
  return h;
}

describe('Controller', () => {
  it('reconciles a key enqueued many times while it waits only once', async () => {
    const gate = deferred();
    const calls: string[] = [];
    const { controller } = setup({
      reconcile: async (key) => {
        calls.push(key);
        if (key === 'busy') await gate.promise;
      },
    });
    controller.start();
    controller.enqueue('busy');
    await settle();
    for (let i = 0; i < 5; i += 1) controller.enqueue('a');
    expect(controller.queued()).toBe(1);
    gate.resolve();
    await settle();
    expect(calls).toEqual(['busy', 'a']);
  });

  it('never runs two reconciles of one key at once, and loses no add, under many adds and workers', async () => {
    const random = prng(42);
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    const active = new Map<string, number>();
    const lastAdd = new Map<string, number>();
    const lastStart = new Map<string, number>();
    let seq = 0;
    let maxPerKey = 0;
    let total = 0;
    let maxTotal = 0;
    const { controller, clock, sleep } = setup({
      workers: 4,
      reconcile: async (key) => {
        lastStart.set(key, ++seq);
        active.set(key, (active.get(key) ?? 0) + 1);
        total += 1;
        maxPerKey = Math.max(maxPerKey, active.get(key)!);
        maxTotal = Math.max(maxTotal, total);
        await sleep(1 + Math.floor(random() * 40));
        active.set(key, active.get(key)! - 1);
        total -= 1;
      },
    });
    controller.start();
    for (let i = 0; i < 500; i += 1) {
      const key = keys[Math.floor(random() * keys.length)]!;
      controller.enqueue(key);
      lastAdd.set(key, ++seq);
      if (i % 3 === 0) await clock.advance(Math.floor(random() * 15));
    }
    await clock.advance(10_000);
    expect(maxPerKey).toBe(1);
    expect(maxTotal).toBeGreaterThan(1);
    for (const key of keys) expect(lastStart.get(key)!).toBeGreaterThan(lastAdd.get(key)!);
  });

  it('runs a key added during its own reconcile once more afterwards, not alongside', async () => {
    const gate = deferred();
    let calls = 0;
    const { controller, clock } = setup({
      workers: 3,
      reconcile: async () => {
        calls += 1;
        if (calls === 1) await gate.promise;
      },
    });
    controller.start();
    controller.enqueue('a');
    await settle();
    controller.enqueue('a');
    controller.enqueue('a');
    controller.enqueue('a');
    await settle();
    expect(calls).toBe(1);
    gate.resolve();
    await clock.advance(60_000);
    expect(calls).toBe(2);
  });

  it('retries a failing key with growing backoff and starts from the base again after a success', async () => {
    let failing = true;
    const times: number[] = [];
    const { controller, clock, logger, samples } = setup({
      reconcile: async () => {
        times.push(clock.now());
        if (failing) throw new Error('engine unreachable');
      },
    });
    controller.start();
    const t0 = clock.now();
    controller.enqueue('a');
    await settle();
    await clock.advance(199);
    expect(times).toEqual([t0]);
    await clock.advance(1);
    await clock.advance(400);
    expect(times).toEqual([t0, t0 + 200, t0 + 600]);
    failing = false;
    await clock.advance(800);
    expect(times).toEqual([t0, t0 + 200, t0 + 600, t0 + 1_400]);
    failing = true;
    controller.enqueue('a');
    await clock.advance(200);
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.obj.backoffMs)).toEqual([200, 400, 800, 200, 400]);
    expect(errors.map((l) => l.obj.retries)).toEqual([1, 2, 3, 1, 2]);
    expect(errors[0]!.obj).toMatchObject({ controller: 'deploys', key: 'a', err: new Error('engine unreachable') });
    expect(samples.map((s) => s.outcome)).toEqual(['error', 'error', 'error', 'success', 'error', 'error']);
  });

  it('takes the backoff options of its spec', async () => {
    const { controller, logger } = setup({ backoff: { baseMs: 1_000, factor: 3 }, reconcile: () => Promise.reject(new Error('no')) });
    controller.start();
    controller.enqueue('a');
    await settle();
    expect(logger.lines.find((l) => l.level === 'error')!.obj.backoffMs).toBe(1_000);
  });

  it('looks again after requeueAfterMs without counting it as a failure', async () => {
    const times: number[] = [];
    const { controller, clock, logger, samples } = setup({
      reconcile: async () => {
        times.push(clock.now());
        return { requeueAfterMs: 5_000 };
      },
    });
    controller.start();
    const t0 = clock.now();
    controller.enqueue('a');
    await clock.advance(10_000);
    expect(times).toEqual([t0, t0 + 5_000, t0 + 10_000]);
    expect(logger.lines.filter((l) => l.level !== 'info')).toEqual([]);
    expect(samples.every((s) => s.outcome === 'requeue')).toBe(true);
  });

  it('keeps its workers when reconciles throw, however they throw', async () => {
    const calls: string[] = [];
    const { controller, logger } = setup({
      reconcile: (key) => {
        calls.push(key);
        if (key === 'sync') throw new Error('thrown before any await');
        if (key === 'string') return Promise.reject('not even an Error');
        return Promise.resolve();
      },
    });
    controller.start();
    controller.enqueue('sync');
    controller.enqueue('string');
    controller.enqueue('good');
    await settle();
    expect(calls).toEqual(['sync', 'string', 'good']);
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.obj.key)).toEqual(['sync', 'string']);
  });

  it('keeps its workers when the logger and the metrics hook throw', async () => {
    const calls: string[] = [];
    const throwing: Logger = {
      info: () => undefined,
      warn: () => undefined,
      error: () => {
        throw new Error('log sink down');
      },
    };
    const { controller, clock } = setup(
      {
        reconcile: async (key) => {
          calls.push(key);
          if (key === 'bad') throw new Error('boom');
        },
      },
      {
        logger: throwing,
        onReconcile: () => {
          throw new Error('metrics broken');
        },
      },
    );
    controller.start();
    controller.enqueue('bad');
    controller.enqueue('good');
    await settle();
    controller.enqueue('good');
    await clock.advance(200);
    expect(calls).toEqual(['bad', 'good', 'good', 'bad']);
  });

  it('does not retry a TerminalError', async () => {
    let calls = 0;
    const { controller, clock, samples, logger } = setup({
      reconcile: async () => {
        calls += 1;
        throw new TerminalError('the plan names an image that does not exist');
      },
    });
    controller.start();
    controller.enqueue('a');
    await clock.advance(120_000);
    expect(calls).toBe(1);
    expect(samples.map((s) => s.outcome)).toEqual(['terminal']);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
  });

  it('reports every reconcile to the metrics hook with its duration', async () => {
    const { controller, clock, samples, sleep } = setup({
      reconcile: async (key) => {
        await sleep(50);
        if (key === 'bad') throw new Error('no');
      },
    });
    controller.start();
    controller.enqueue('good');
    controller.enqueue('bad');
    await clock.advance(100);
    expect(samples).toEqual([
      { controller: 'deploys', key: 'good', outcome: 'success', durationMs: 50 },
      { controller: 'deploys', key: 'bad', outcome: 'error', durationMs: 50 },
    ]);
  });

  it('takes a pino logger as its logger', async () => {
    const logger: Logger = pino({ enabled: false });
    const { controller } = setup({}, { logger });
    controller.start();
    await expect(controller.stop()).resolves.toEqual({ abandoned: [] });
  });
});
