import { describe, expect, it } from 'vitest';
import { describeChanges, siteChanges, siteForm } from './sites';
import type { Site } from './types';

const site = { name: 'acme', labels: { plan: 'gold', region: 'eu' }, channel: 'stable', policy: 'manual', window: '0 2 * * sun' } as unknown as Site;

describe("a site's edit form", () => {
  it('starts from the site and sends nothing when nothing changed (a respaced window is no change)', () => {
    const form = siteForm(site);
    expect(form).toEqual({ labels: 'plan=gold, region=eu', channel: 'stable', policy: 'manual', window: '0 2 * * sun' });
    expect(siteChanges(site, form)).toEqual({});
    expect(siteChanges(site, { ...form, window: ' 0  2 * *   sun ', labels: 'region=eu plan=gold' })).toEqual({});
  });

  it('sends only what changed, as site set does', () => {
    const body = siteChanges(site, { labels: 'plan=gold, region=us, tier=a', channel: ' beta ', policy: 'staged', window: '' });
    expect(body).toEqual({ labels: { set: { region: 'us', tier: 'a' } }, channel: 'beta', policy: 'staged', window: null });
    expect(describeChanges(body)).toEqual(['set label region=us', 'set label tier=a', 'channel beta', 'policy staged', 'no window (any time)']);
    expect(siteChanges(site, { ...siteForm(site), labels: 'region=eu' })).toEqual({ labels: { unset: ['plan'] } });
    expect(siteChanges({ ...site, window: null }, { ...siteForm(site), window: '* 2-4 * * *' })).toEqual({ window: '* 2-4 * * *' });
    expect(describeChanges({ labels: { unset: ['plan'] }, window: '* 2-4 * * *' })).toEqual(['remove label plan', 'window * 2-4 * * *']);
  });
});
