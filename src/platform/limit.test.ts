import { describe, expect, it } from 'vitest';
import { Limit, merge } from './limit.js';

describe('Limit', () => {
  it('runs at most n at once, the rest in order', async () => {
    const limit = new Limit(2);
    let active = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        limit.run(async () => {
          active += 1;
          most = Math.max(most, active);
          await new Promise((r) => setTimeout(r, 10));
          order.push(n);
          active -= 1;
        }),
      ),
    );
    expect(most).toBe(2);
    expect(order.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('frees its slot when a function throws', async () => {
    const limit = new Limit(1);
    await expect(limit.run(async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(await limit.run(async () => 7)).toBe(7);
  });
});

describe('merge', () => {
  it('yields every item of every source', async () => {
    async function* gen(items: number[], delay: number) {
      for (const i of items) {
        await new Promise((r) => setTimeout(r, delay));
        yield i;
      }
    }
    const out: number[] = [];
    for await (const x of merge([gen([1, 3, 5], 5), gen([2, 4], 7)])) out.push(x);
    expect(out.sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
