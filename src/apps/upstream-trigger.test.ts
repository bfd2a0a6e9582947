import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UpstreamTrigger } from './upstream-trigger.js';

describe('upstream hook polls', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A poll that takes `ms` and records when it started. */
  function polls(ms: number) {
    const started: { app: string; at: number }[] = [];
    const trigger = new UpstreamTrigger(
      async (app) => {
        started.push({ app, at: Date.now() });
        await new Promise((r) => setTimeout(r, ms));
      },
      { minGapMs: 5_000 },
    );
    return { started, trigger };
  }

  it('starts the first poll at once and folds a burst of calls into one follow-up after the gap', async () => {
    const { started, trigger } = polls(1_000);
    const t0 = Date.now();
    expect(trigger.request('shop')).toBe('polling');
    for (let i = 0; i < 20; i += 1) expect(trigger.request('shop')).toBe('coalesced');
    await vi.advanceTimersByTimeAsync(1_500);
    expect(started).toHaveLength(1);
    expect(trigger.request('shop')).toBe('coalesced');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(started.map((s) => s.at - t0)).toEqual([0, 5_000]);
    await trigger.stop();
  });

  it('waits out the gap after a poll even when nothing else was asked meanwhile', async () => {
    const { started, trigger } = polls(100);
    const t0 = Date.now();
    trigger.request('shop');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(trigger.request('shop')).toBe('coalesced');
    await vi.advanceTimersByTimeAsync(3_500);
    expect(started.map((s) => s.at - t0)).toEqual([0, 5_000]);
    // Past the gap, a call polls at once again.
    await vi.advanceTimersByTimeAsync(6_000);
    expect(trigger.request('shop')).toBe('polling');
    await vi.advanceTimersByTimeAsync(200);
    await trigger.stop();
  });

  it('limits each application on its own', async () => {
    const { started, trigger } = polls(100);
    expect(trigger.request('shop')).toBe('polling');
    expect(trigger.request('crm')).toBe('polling');
    expect(trigger.request('shop')).toBe('coalesced');
    await vi.advanceTimersByTimeAsync(100);
    expect(started.map((s) => s.app)).toEqual(['shop', 'crm']);
    await trigger.stop();
  });

  it('keeps going when a poll fails, and schedules nothing after stop', async () => {
    let calls = 0;
    const trigger = new UpstreamTrigger(
      async () => {
        calls += 1;
        throw new Error('upstream down');
      },
      { minGapMs: 1_000 },
    );
    trigger.request('shop');
    trigger.request('shop');
    await vi.advanceTimersByTimeAsync(1_500);
    expect(calls).toBe(2);
    trigger.request('shop');
    await trigger.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toBe(2);
  });
});
