import { describe, expect, it } from 'vitest';
import { Controller } from './controller.js';
import { settle } from './test-support/fake-clock.js';
import { harness, prng } from './test-support/harness.js';
import { deferred, recordingLogger } from './test-support/recording-logger.js';

describe('Controller resync', () => {
  it('lists every key at start, then again after the resync period moved by its jitter', async () => {
    const calls: string[] = [];
    const randoms = [0, 0.999_999_9];
    const { controller, clock } = harness(
      { resyncMs: 10_000, list: async () => ['a', 'b'], reconcile: async (key) => void calls.push(key) },
      { random: () => randoms.shift() ?? 0.5 },
    );
    controller.start();
    await settle();
    expect(calls).toEqual(['a', 'b']);
    await clock.advance(8_999); // random 0 → 10 s − 10 %
    expect(calls).toHaveLength(2);
    await clock.advance(1);
    expect(calls).toEqual(['a', 'b', 'a', 'b']);
    await clock.advance(10_999); // random ≈ 1 → 10 s + 10 %
    expect(calls).toHaveLength(4);
    await clock.advance(1);
    expect(calls).toHaveLength(6);
    await controller.stop();
  });

  it('keeps every resync period within ±10 % and spreads them', async () => {
    const { controller, clock } = harness({ resyncMs: 10_000, list: async () => ['a'] }, { random: prng(7) });
    controller.start();
    await clock.advance(50 * 11_000);
    const periods = clock.delays;
    expect(periods.length).toBeGreaterThan(50);
    for (const ms of periods) {
      expect(ms).toBeGreaterThanOrEqual(9_000);
      expect(ms).toBeLessThanOrEqual(11_000);
    }
    expect(new Set(periods).size).toBeGreaterThan(40);
    await controller.stop();
  });

  it('retries a failed list after a backoff, not a whole period later', async () => {
    let failures = 1;
    const calls: string[] = [];
    const { controller, clock, logger } = harness({
      list: async () => {
        if (failures-- > 0) throw new Error('store unreachable');
        return ['a'];
      },
      reconcile: async (key) => void calls.push(key),
    });
    controller.start();
    await settle();
    expect(calls).toEqual([]);
    expect(logger.lines.find((l) => l.level === 'warn')?.obj.retryMs).toBe(200);
    await clock.advance(200);
    expect(calls).toEqual(['a']);
    await controller.stop();
  });
});

describe('Controller stop', () => {
  it('aborts in-flight reconciles and waits for them to return', async () => {
    const started = deferred();
    let signal: AbortSignal | undefined;
    let cleanedUp = false;
    const { controller, clock, sleep, samples } = harness({
      workers: 2,
      resyncMs: 1_000,
      reconcile: async (key, s) => {
        signal = s;
        started.resolve();
        await new Promise((resolve) => s.addEventListener('abort', resolve));
        await sleep(100); // cleanup that takes a while
        cleanedUp = true;
        throw s.reason;
      },
    });
    controller.start();
    controller.enqueue('a');
    await started.promise;
    let result: unknown;
    void controller.stop().then((r) => (result = r));
    await settle();
    expect(signal?.aborted).toBe(true);
    expect(result).toBeUndefined();
    await clock.advance(100);
    expect(cleanedUp).toBe(true);
    expect(result).toEqual({ abandoned: [] });
    expect(samples.map((s) => s.outcome)).toEqual(['aborted']);
    expect(clock.pending()).toBe(0); // no resync, no backoff timer left
  });

  it('gives up waiting after stopTimeoutMs and names the keys left running', async () => {
    const { controller, clock, logger } = harness({
      stopTimeoutMs: 5_000,
      reconcile: () => new Promise<void>(() => undefined), // ignores its signal
    });
    controller.start();
    controller.enqueue('stuck');
    await settle();
    let result: unknown;
    void controller.stop().then((r) => (result = r));
    await clock.advance(4_999);
    expect(result).toBeUndefined();
    await clock.advance(1);
    expect(result).toEqual({ abandoned: ['stuck'] });
    expect(logger.lines.find((l) => l.level === 'warn')?.obj).toMatchObject({ keys: ['stuck'], timeoutMs: 5_000 });
  });

  it('takes no more keys once stopped, and returns the same result when stopped twice', async () => {
    const calls: string[] = [];
    const { controller, clock } = harness({ reconcile: async (key) => void calls.push(key) });
    controller.start();
    const first = controller.stop();
    expect(controller.stop()).toBe(first);
    await first;
    controller.enqueue('a');
    await clock.advance(1_000_000);
    expect(calls).toEqual([]);
    expect(() => controller.start()).toThrow(/already started/);
  });

  it('can be stopped without having started', async () => {
    const { controller } = harness({});
    await expect(controller.stop()).resolves.toEqual({ abandoned: [] });
  });

  it('refuses a spec without workers or resync period', () => {
    const logger = recordingLogger();
    const spec = { name: 'x', reconcile: async () => undefined, list: async () => [], resyncMs: 1_000, workers: 1 };
    expect(() => new Controller({ ...spec, workers: 0 }, { logger })).toThrow(RangeError);
    expect(() => new Controller({ ...spec, workers: 1.5 }, { logger })).toThrow(RangeError);
    expect(() => new Controller({ ...spec, resyncMs: 0 }, { logger })).toThrow(RangeError);
  });
});
