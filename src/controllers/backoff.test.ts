import { describe, expect, it } from 'vitest';
import { ExponentialBackoff } from './backoff.js';
import { jittered } from './clock.js';

describe('ExponentialBackoff', () => {
  it('doubles from 200 ms per consecutive failure and stops at 60 s', () => {
    const backoff = new ExponentialBackoff();
    const delays = Array.from({ length: 12 }, () => backoff.when('a'));
    expect(delays).toEqual([200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000, 60_000]);
    expect(backoff.retries('a')).toBe(12);
  });

  it('starts again from the base once the key is forgotten', () => {
    const backoff = new ExponentialBackoff();
    backoff.when('a');
    backoff.when('a');
    backoff.forget('a');
    expect(backoff.retries('a')).toBe(0);
    expect(backoff.when('a')).toBe(200);
  });

  it('counts each key on its own', () => {
    const backoff = new ExponentialBackoff();
    backoff.when('a');
    backoff.when('a');
    expect(backoff.when('b')).toBe(200);
    expect(backoff.when('a')).toBe(800);
  });

  it('takes base, factor and ceiling as options, and stays at the ceiling after very many failures', () => {
    const backoff = new ExponentialBackoff({ baseMs: 5, factor: 3, maxMs: 100 });
    expect([backoff.when('a'), backoff.when('a'), backoff.when('a'), backoff.when('a')]).toEqual([5, 15, 45, 100]);
    for (let i = 0; i < 5_000; i += 1) backoff.when('a');
    expect(backoff.when('a')).toBe(100);
  });

  it('refuses options that make no sense', () => {
    expect(() => new ExponentialBackoff({ factor: 0.5 })).toThrow(RangeError);
    expect(() => new ExponentialBackoff({ baseMs: 1000, maxMs: 10 })).toThrow(RangeError);
    expect(() => new ExponentialBackoff({ baseMs: -1 })).toThrow(RangeError);
  });
});

describe('jittered', () => {
  it('stays within ±fraction of the period, reaching both ends', () => {
    expect(jittered(600_000, 0.1, () => 0)).toBe(540_000);
    expect(jittered(600_000, 0.1, () => 0.5)).toBe(600_000);
    expect(jittered(600_000, 0.1, () => 0.999_999_9)).toBe(660_000);
    const samples = Array.from({ length: 10_000 }, () => jittered(1_000, 0.1));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(900);
    expect(Math.max(...samples)).toBeLessThanOrEqual(1_100);
    expect(new Set(samples).size).toBeGreaterThan(100);
  });
});
