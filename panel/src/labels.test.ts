import { describe, expect, it } from 'vitest';
import { labelEdits, labelTerms, labelText, parseLabels } from './labels';

describe('parseLabels', () => {
  it('reads KEY=VALUE pairs separated by spaces or commas', () => {
    expect(parseLabels('')).toEqual({ labels: {} });
    expect(parseLabels(' region=eu, zone=a  tier= ')).toEqual({ labels: { region: 'eu', zone: 'a', tier: '' } });
  });

  it('says which pair is not KEY=VALUE', () => {
    expect(parseLabels('region=eu zone')).toEqual({ error: "label 'zone' is not KEY=VALUE (e.g. region=eu zone=a)" });
    expect(parseLabels('=eu')).toEqual({ error: "label '=eu' is not KEY=VALUE (e.g. region=eu zone=a)" });
  });
});

describe('site labels', () => {
  it('keeps a term without = whole, for the API to refuse with its code', () => {
    expect(labelTerms(' region=eu,plan=gold  legacy ')).toEqual({ region: 'eu', plan: 'gold', legacy: '' });
    expect(labelTerms('')).toEqual({});
  });

  it('shows labels as they are typed back', () => {
    expect(labelText({ plan: 'gold', region: 'eu' })).toBe('plan=gold, region=eu');
    expect(labelTerms(labelText({ plan: 'gold', region: 'eu' }))).toEqual({ plan: 'gold', region: 'eu' });
  });

  it('sets the new and the changed labels and removes the missing ones', () => {
    const before = { plan: 'gold', region: 'eu', tier: 'a' };
    expect(labelEdits(before, 'plan=gold region=us zone=b')).toEqual({ set: { region: 'us', zone: 'b' }, unset: ['tier'] });
    expect(labelEdits(before, 'plan=gold, region=eu, tier=a')).toEqual({ set: {}, unset: [] });
    expect(labelEdits(before, '')).toEqual({ set: {}, unset: ['plan', 'region', 'tier'] });
  });
});
