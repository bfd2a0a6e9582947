import { describe, expect, it } from 'vitest';
import { budgetExhausted, checkWaves, matches, parseCount, parseSelector, planUpgrade, tick, type HerdSite, type SiteStep, type TickSite } from './herd.js';

const site = (name: string, version: string | null, labels: Record<string, string> = {}, channel = 'stable'): HerdSite => ({ name, version, channel, labels });
const herd = Array.from({ length: 30 }, (_, i) => site(`s${String(i + 1).padStart(2, '0')}`, '1.0.0', { region: i % 2 ? 'eu' : 'us', ...(i < 3 ? { broken: 'yes' } : {}) }));
const options = { to: '1.1.0', selector: null, canary: 1, batch: '25%', failureBudget: '2', allowDowngrade: false };

describe('site selectors', () => {
  it('match labels, name, version and channel with =, |, !=, existence and absence', () => {
    const s = site('acme', '1.2.0', { region: 'eu', plan: 'gold' }, 'beta');
    const yes = ['region=eu', 'region=us|eu', 'plan!=free', 'plan', '!legacy', 'name=acme', 'version=1.2.0', 'channel=beta', 'region=eu,plan=gold'];
    const no = ['region=us', 'plan!=gold', 'legacy', '!plan', 'version=1.1.0', 'region=eu,plan=free'];
    for (const t of yes) expect(matches(parseSelector(t), s), t).toBe(true);
    for (const t of no) expect(matches(parseSelector(t), s), t).toBe(false);
  });

  it('refuses what is not a selector, with a code', () => {
    for (const bad of ['', 'region=eu,', '=eu', 'region=e u', '!region=eu', 'region=a||b']) expect(() => parseSelector(bad), bad).toThrow(expect.objectContaining({ code: 'SLW_INVALID_SELECTOR' }));
  });
});

describe('checkWaves', () => {
  const plain = (option: string) => `--${option}`;
  it('answers the bake in seconds', () => {
    expect(checkWaves({ canary: 1, parallel: 5, bake: '2m' }, plain)).toEqual({ canary: 1, parallel: 5, bakeSeconds: 120 });
    expect(checkWaves({ canary: 0, parallel: 1, bake: 0 }, plain).bakeSeconds).toBe(0);
  });
  it('names each refused option as the caller spells it', () => {
    expect(() => checkWaves({ canary: -1, parallel: 5, bake: 0 }, plain)).toThrow(/^--canary -1: give a number of sites/);
    expect(() => checkWaves({ canary: 1, parallel: 0, bake: 0 }, (o) => `--continuous-${o}`)).toThrow(/^--continuous-parallel 0: give 1 to 50/);
    expect(() => checkWaves({ canary: 1, parallel: 2, bake: 'soon' }, plain)).toThrow(/^--bake 'soon' is not a duration/);
    expect(() => checkWaves({ canary: 1, parallel: 2, bake: '1s' }, plain)).toThrow(/^--bake 1s: bake/);
  });
});

describe('planUpgrade', () => {
  it('puts one canary first, then batches of 25 % of the rest, in name order', () => {
    const plan = planUpgrade(herd, options);
    expect(plan.waves.map((w) => [w.kind, w.sites.length])).toEqual([['canary', 1], ['batch', 8], ['batch', 8], ['batch', 8], ['batch', 5]]);
    expect(plan.waves[0]!.sites).toEqual(['s01']);
    expect(plan.waves.flatMap((w) => w.sites)).toEqual(herd.map((s) => s.name));
    expect(plan.failureBudget).toBe(2);
  });

  it('skips sites already on the version and narrows to the selector', () => {
    const mixed = herd.map((s, i) => (i < 5 ? { ...s, version: '1.1.0' } : s));
    const plan = planUpgrade(mixed, { ...options, selector: 'region=eu', canary: 0, batch: '5' });
    expect(plan.skipped).toEqual(['s02', 's04']);
    expect(plan.waves.flatMap((w) => w.sites).every((n) => Number(n.slice(1)) % 2 === 0)).toBe(true);
    expect(plan.waves.map((w) => w.sites.length)).toEqual([5, 5, 3]);
  });

  it('refuses a selector matching nothing, a budget above the site count, a downgrade without --allow-downgrade', () => {
    expect(() => planUpgrade(herd, { ...options, selector: 'region=mars' })).toThrow(expect.objectContaining({ code: 'SLW_HERD_NO_SITES' }));
    expect(() => planUpgrade(herd, { ...options, failureBudget: '31' })).toThrow(expect.objectContaining({ code: 'SLW_VALIDATION', message: expect.stringContaining('above the 30 selected') }));
    expect(() => planUpgrade(herd, { ...options, to: '0.9.0' })).toThrow(expect.objectContaining({ code: 'SLW_DOWNGRADE' }));
    expect(planUpgrade(herd, { ...options, to: '0.9.0', allowDowngrade: true }).waves.length).toBe(5);
    expect(() => planUpgrade(herd, { ...options, batch: '0' })).toThrow(expect.objectContaining({ code: 'SLW_VALIDATION' }));
  });

  it('counts and percentages; the budget halts on the failure after the last tolerated one', () => {
    expect(parseCount('25%', 29, 'b')).toBe(8);
    expect(parseCount('1%', 3, 'b')).toBe(1);
    expect(parseCount('7', 3, 'b')).toBe(7);
    expect(() => parseCount('150%', 3, 'b')).toThrow(expect.objectContaining({ code: 'SLW_VALIDATION' }));
    expect(() => parseCount('half', 3, 'b')).toThrow(expect.objectContaining({ code: 'SLW_VALIDATION' }));
    expect([0, 1, 2, 3].map((f) => budgetExhausted(f, 2))).toEqual([false, false, false, true]);
  });

  it('plans 10,000 sites with a selector', () => {
    const big = Array.from({ length: 10_000 }, (_, i) => site(`site-${i}`, '2.3.1', { region: ['eu', 'us', 'ap'][i % 3]!, plan: i % 10 ? 'std' : 'gold' }));
    const plan = planUpgrade(big, { ...options, to: '2.4.0', selector: 'region=eu|us,plan!=gold', canary: 5, batch: '10%', failureBudget: '1%' });
    expect(plan.waves.flatMap((w) => w.sites).length).toBe(big.filter((s) => s.labels.region !== 'ap' && s.labels.plan !== 'gold').length);
    expect(plan.waves.length).toBe(11);
  });
});

describe('tick', () => {
  const site = (key: string, wave: number, step: SiteStep, windowOpen = true): TickSite => ({ key, wave, position: Number(key.slice(1)), step, windowOpen });
  const base = { state: 'running' as const, parallel: 2, failures: 0, failureBudget: 1, windowOpen: true };

  it('starts the canary alone, then the next wave only once the canary ended', () => {
    const sites = [site('s0', 0, 'pending'), site('s1', 1, 'pending'), site('s2', 1, 'pending'), site('s3', 1, 'pending')];
    expect(tick({ ...base, sites }).start).toEqual(['s0']);
    sites[0] = site('s0', 0, 'bake');
    expect(tick({ ...base, sites }).start).toEqual([]);
    sites[0] = site('s0', 0, 'done');
    const t = tick({ ...base, sites });
    expect(t.start).toEqual(['s1', 's2']);
    expect(t.wave).toBe(1);
  });

  it('keeps at most `parallel` sites in flight', () => {
    const sites = [site('s1', 1, 'deploy'), site('s2', 1, 'pending'), site('s3', 1, 'pending')];
    expect(tick({ ...base, sites }).start).toEqual(['s2']);
  });

  it('halts when failures exceed the budget and starts nothing more, settling once in-flight sites end', () => {
    const sites = [site('s1', 1, 'reverted'), site('s2', 1, 'reverting'), site('s3', 1, 'pending')];
    const t = tick({ ...base, failures: 2, sites });
    expect(t.state).toBe('halted');
    expect(t.start).toEqual([]);
    expect(t.settled).toBe(false);
    sites[1] = site('s2', 1, 'reverted');
    expect(tick({ ...base, state: 'halted', failures: 2, sites }).settled).toBe(true);
  });

  it('tolerates failures up to the budget', () => {
    const sites = [site('s1', 1, 'reverted'), site('s2', 1, 'pending')];
    expect(tick({ ...base, failures: 1, sites }).start).toEqual(['s2']);
  });

  it('succeeds when every site ended, and starts nothing outside the window', () => {
    expect(tick({ ...base, sites: [site('s1', 0, 'done'), site('s2', 0, 'skipped')] }).state).toBe('succeeded');
    expect(tick({ ...base, windowOpen: false, sites: [site('s1', 0, 'pending')] }).start).toEqual([]);
    expect(tick({ ...base, sites: [site('s1', 0, 'pending', false), site('s2', 0, 'pending')] }).start).toEqual(['s2']);
  });

  it('a paused upgrade starts nothing; one waiting for an approval is not settled', () => {
    expect(tick({ ...base, state: 'paused', sites: [site('s1', 0, 'pending')] }).start).toEqual([]);
    const t = tick({ ...base, state: 'aborted', sites: [site('s1', 0, 'awaiting-approval')] });
    expect(t.settled).toBe(false);
    expect(t.start).toEqual([]);
  });
});
