import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Coalescer } from './coalesce.js';

describe('coalescing change signals per key', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /**
   * A store of one value per key and a coalescer whose flush reads it (taking `readMs`) and
   * records what it announced, and when its read started and ended.
   */
  function announcer(readMs = 10) {
    const store = new Map<string, string>();
    const sent: { key: string; value: string | undefined; started: number; ended: number }[] = [];
    let running = 0;
    let overlapped = false;
    const coalescer = new Coalescer<string>({
      everyMs: 250,
      flush: async (key) => {
        running += 1;
        if (running > 1) overlapped = true;
        const started = Date.now();
        await new Promise((r) => setTimeout(r, readMs));
        const value = store.get(key);
        running -= 1;
        sent.push({ key, value, started, ended: Date.now() });
      },
    });
    const change = (key: string, value: string) => {
      store.set(key, value);
      coalescer.touch(key);
    };
    return { sent, change, coalescer, overlapped: () => overlapped };
  }

  it('folds a 30-site upgrade moving for 3 s into one announcement per 250 ms, the last with the final state', async () => {
    const { sent, change, coalescer, overlapped } = announcer();
    const t0 = Date.now();
    // 30 sites, 4 steps each, one step every 25 ms: 120 signals.
    for (let i = 0; i < 120; i += 1) {
      change('hup_1', `running: ${i + 1} steps`);
      await vi.advanceTimersByTimeAsync(25);
    }
    change('hup_1', 'succeeded');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent.length).toBeGreaterThanOrEqual(10);
    expect(sent.length).toBeLessThanOrEqual(14);
    expect(sent[0]).toMatchObject({ value: 'running: 1 steps', started: t0 });
    expect(sent.at(-1)?.value).toBe('succeeded');
    // At least 250 ms from the end of one flush to the start of the next.
    for (let i = 1; i < sent.length; i += 1) expect(sent[i]!.started - sent[i - 1]!.ended).toBeGreaterThanOrEqual(250);
    expect(overlapped()).toBe(false);
    // Quiet for its cool-down: forgotten.
    expect(coalescer.size).toBe(0);
  });

  it('announces a final state that comes while a flush reads an older one', async () => {
    const { sent, change } = announcer(100);
    change('hup_1', 'running');
    await vi.advanceTimersByTimeAsync(50);
    change('hup_1', 'halted');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent.map((s) => s.value)).toEqual(['halted', 'halted']);
    // The read under way saw the new state already; the second flush still comes (the reader may have read before the write).
    expect(sent[1]!.started - sent[0]!.ended).toBe(250);
  });

  it('keeps keys apart: each upgrade has its own pace', async () => {
    const { sent, change } = announcer();
    change('hup_1', 'a1');
    change('hup_2', 'b1');
    change('hup_1', 'a2');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent.filter((s) => s.key === 'hup_1').map((s) => s.value)).toEqual(['a2', 'a2']);
    expect(sent.filter((s) => s.key === 'hup_2').map((s) => s.value)).toEqual(['b1']);
    expect(sent.find((s) => s.key === 'hup_2')?.started).toBe(sent[0]!.started);
  });

  it('flushes at once again after a quiet cool-down, and once per signal when signals are far apart', async () => {
    const { sent, change } = announcer();
    const t0 = Date.now();
    change('hup_1', 'running');
    await vi.advanceTimersByTimeAsync(2_000);
    change('hup_1', 'paused');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sent.map((s) => [s.value, s.started - t0])).toEqual([
      ['running', 0],
      ['paused', 2_000],
    ]);
  });

  it('reports a flush that threw, and flushes again at the next signal', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const flushed: string[] = [];
    const c = new Coalescer<string>({
      everyMs: 250,
      flush: async (key) => {
        if (fail) throw new Error('the store is away');
        flushed.push(key);
      },
      onError: (_key, error) => errors.push(error),
    });
    c.touch('hup_1');
    await vi.advanceTimersByTimeAsync(300);
    expect(errors).toHaveLength(1);
    fail = false;
    c.touch('hup_1');
    await vi.advanceTimersByTimeAsync(10);
    expect(flushed).toEqual(['hup_1']);
    await c.stop();
  });

  it('on stop flushes a signal still waiting for its cool-down once, at once, and ignores later ones', async () => {
    const { sent, change, coalescer } = announcer();
    change('hup_1', 'running');
    await vi.advanceTimersByTimeAsync(20);
    change('hup_1', 'aborted');
    const stopped = coalescer.stop();
    await vi.advanceTimersByTimeAsync(10);
    await stopped;
    expect(sent.map((s) => s.value)).toEqual(['running', 'aborted']);
    change('hup_1', 'later');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toHaveLength(2);
  });
});
