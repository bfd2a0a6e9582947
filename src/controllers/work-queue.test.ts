import { describe, expect, it } from 'vitest';
import { FakeClock, settle } from './test-support/fake-clock.js';
import { WorkQueue } from './work-queue.js';

describe('WorkQueue', () => {
  it('queues a key once however often it is added, in first-added order', async () => {
    const queue = new WorkQueue<string>();
    for (const key of ['a', 'b', 'a', 'a', 'c', 'b']) queue.add(key);
    expect(queue.len()).toBe(3);
    expect([await queue.get(), await queue.get(), await queue.get()]).toEqual(['a', 'b', 'c']);
    expect(queue.len()).toBe(0);
  });

  it('never hands out a key that is processing; adds meanwhile queue it again once, on done', async () => {
    const queue = new WorkQueue<string>();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.add('a');
    queue.add('a');
    expect(queue.len()).toBe(0);
    let second: string | undefined;
    void queue.get().then((key) => (second = key));
    await settle();
    expect(second).toBeUndefined();
    queue.done('a');
    await settle();
    expect(second).toBe('a');
    expect(queue.processing()).toEqual(['a']);
    queue.done('a');
    expect(queue.len()).toBe(0);
    expect(queue.processing()).toEqual([]);
  });

  it('does not queue a key again on done when nobody added it meanwhile', async () => {
    const queue = new WorkQueue<string>();
    queue.add('a');
    queue.done((await queue.get())!);
    expect(queue.len()).toBe(0);
  });

  it('wakes a waiting get as soon as a key is added', async () => {
    const queue = new WorkQueue<string>();
    const next = queue.get();
    queue.add('x');
    expect(await next).toBe('x');
  });

  it('adds a delayed key when it is due, keeping the earliest of several delays', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock });
    queue.addAfter('a', 1_000);
    queue.addAfter('a', 500);
    queue.addAfter('a', 2_000);
    expect(clock.pending()).toBe(1);
    expect(queue.delayed()).toBe(1);
    await clock.advance(499);
    expect(queue.len()).toBe(0);
    await clock.advance(1);
    expect(queue.len()).toBe(1);
    await clock.advance(5_000);
    expect(queue.len()).toBe(1);
    queue.addAfter('b', 0);
    expect(queue.len()).toBe(2);
  });

  it('delays a rate-limited key by its growing backoff until it is forgotten', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock, backoff: { baseMs: 100, factor: 2, maxMs: 300 } });
    expect([queue.addRateLimited('a'), queue.addRateLimited('a'), queue.addRateLimited('a')]).toEqual([100, 200, 300]);
    expect(queue.numRequeues('a')).toBe(3);
    await clock.advance(99);
    expect(queue.len()).toBe(0);
    await clock.advance(1);
    expect(queue.len()).toBe(1);
    queue.forget('a');
    expect(queue.numRequeues('a')).toBe(0);
    expect(queue.addRateLimited('a')).toBe(100);
  });

  it('on shut down releases waiting gets, cancels delays and ignores later adds', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock });
    const waiting = queue.get();
    queue.addAfter('later', 1_000);
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    expect(clock.pending()).toBe(0);
    queue.add('a');
    queue.addAfter('b', 10);
    expect(queue.len()).toBe(0);
    expect(await queue.get()).toBeUndefined();
    expect(queue.shuttingDown).toBe(true);
  });
});
