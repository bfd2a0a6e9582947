import { describe, expect, it } from 'vitest';
import { capNames, emptyUpgradeForm, stepCounts, stepGroup, stepSummary, upgradeBody, waveSegments } from './herd';

describe('herd upgrades in the panel', () => {
  it('groups steps for a wave bar, in order, widths in percent of the wave', () => {
    expect(['done', 'reverted', 'revert-failed', 'reverting', 'rejected', 'skipped', 'awaiting-approval', 'pending', 'backup', 'clone', 'bake', 'rejecting'].map(stepGroup)).toEqual(['done', 'failed', 'failed', 'failed', 'left', 'left', 'waiting', 'pending', 'active', 'active', 'active', 'active']);
    expect(waveSegments({ pending: 2, done: 1, deploy: 1 })).toEqual([
      { group: 'done', count: 1, x: 0, width: 25 },
      { group: 'active', count: 1, x: 25, width: 25 },
      { group: 'pending', count: 2, x: 50, width: 50 },
    ]);
    expect(waveSegments({ backup: 1, migrate: 2, reverted: 1, zero: 0 }).map((s) => [s.group, s.count])).toEqual([
      ['failed', 1],
      ['active', 3],
    ]);
    expect(waveSegments({})).toEqual([]);
  });

  it('says the steps in the order sites pass them, and counts them for the filter', () => {
    expect(stepSummary({ pending: 3, done: 2, deploy: 1 })).toBe('3 pending, 1 deploy, 2 done');
    expect(stepSummary({ done: 0, later: 1 })).toBe('1 later');
    expect(stepCounts([{ step: 'done' }, { step: 'pending' }, { step: 'done' }, { step: 'bake' }])).toEqual([
      { step: 'pending', count: 1 },
      { step: 'bake', count: 1 },
      { step: 'done', count: 2 },
    ]);
  });

  it('sends only the fields typed, numbers as numbers, anything else as typed for the API to judge', () => {
    expect(upgradeBody({ ...emptyUpgradeForm, to: ' 1.1.0 ' })).toEqual({ to: '1.1.0' });
    expect(upgradeBody({ to: '2.0.0', sites: 'region=eu', canary: '1', batch: '25%', parallel: '5', bake: '0', failureBudget: '2', window: '0-59 2-4 * * *', allowDowngrade: true })).toEqual({
      to: '2.0.0',
      sites: 'region=eu',
      canary: 1,
      batch: '25%',
      parallel: 5,
      bake: '0',
      failureBudget: '2',
      window: '0-59 2-4 * * *',
      allowDowngrade: true,
    });
    expect(upgradeBody({ ...emptyUpgradeForm, to: '1', canary: 'x' }).canary).toBe('x');
  });

  it('caps a list of names and says how many more', () => {
    expect(capNames(['a', 'b', 'c'], 2)).toEqual({ shown: ['a', 'b'], more: 1 });
    expect(capNames(['a', 'b'], 5, 4000)).toEqual({ shown: ['a', 'b'], more: 3998 });
  });
});
