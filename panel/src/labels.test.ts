import { describe, expect, it } from 'vitest';
import { parseLabels } from './labels';

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
