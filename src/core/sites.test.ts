import { describe, expect, it } from 'vitest';
import { assertChannel, assertLabels, editLabels, labelVariable, parseLabelEdits, parsePolicy, sitesByVersion } from './sites.js';

const refused = (fn: () => unknown, code: string, message: RegExp) => expect(fn).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));

describe('site labels', () => {
  it('accepts keys a selector can name and values of letters, digits and . _ - +', () => {
    expect(assertLabels({ region: 'eu-west', 'example.com/tier': 'gold', plan: 'PRO_2+', customer: 'acme.corp' })).toEqual({ customer: 'acme.corp', 'example.com/tier': 'gold', plan: 'PRO_2+', region: 'eu-west' });
    expect(Object.keys(assertLabels({ b: '1', a: '2' }))).toEqual(['a', 'b']);
  });

  it('refuses bad keys and values, reserved keys, too many labels and keys that clash as variables', () => {
    refused(() => assertLabels({ Region: 'eu' }), 'SLW_INVALID_LABEL', /label key "Region" is invalid/);
    refused(() => assertLabels({ 'a_b': 'x' }), 'SLW_INVALID_LABEL', /invalid/);
    refused(() => assertLabels({ '-a': 'x' }), 'SLW_INVALID_LABEL', /invalid/);
    refused(() => assertLabels({ 'a/b/c': 'x' }), 'SLW_INVALID_LABEL', /invalid/);
    refused(() => assertLabels({ ['k'.repeat(64)]: 'x' }), 'SLW_INVALID_LABEL', /invalid/);
    refused(() => assertLabels({ region: '' }), 'SLW_INVALID_LABEL', /value "" of label 'region'/);
    refused(() => assertLabels({ region: 'e u' }), 'SLW_INVALID_LABEL', /value "e u"/);
    refused(() => assertLabels({ region: 'x'.repeat(129) }), 'SLW_INVALID_LABEL', /value/);
    expect(assertLabels({ region: 'x'.repeat(128) }).region).toHaveLength(128);
    for (const k of ['name', 'version', 'channel', 'policy']) refused(() => assertLabels({ [k]: 'x' }), 'SLW_INVALID_LABEL', /site's own field/);
    refused(() => assertLabels(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']))), 'SLW_INVALID_LABEL', /33 labels are too many/);
    refused(() => assertLabels({ 'a.b': '1', 'a-b': '2' }), 'SLW_INVALID_LABEL', /both be SLIPWAY_SITE_LABEL_A_B/);
  });

  it('becomes SLIPWAY_SITE_LABEL_<KEY>', () => {
    expect(labelVariable('region')).toBe('SLIPWAY_SITE_LABEL_REGION');
    expect(labelVariable('example.com/tier-2')).toBe('SLIPWAY_SITE_LABEL_EXAMPLE_COM_TIER_2');
  });

  it('edits: k=v sets, k- removes', () => {
    expect(parseLabelEdits(['plan=gold', 'legacy-'])).toEqual({ set: { plan: 'gold' }, unset: ['legacy'] });
    refused(() => parseLabelEdits(['plan']), 'SLW_INVALID_LABEL', /neither key=value/);
    refused(() => parseLabelEdits(['note=a=b']), 'SLW_INVALID_LABEL', /value "a=b"/);
    refused(() => parseLabelEdits(['=x']), 'SLW_INVALID_LABEL', /neither key=value/);
    refused(() => parseLabelEdits(['plan=gold', 'plan-']), 'SLW_INVALID_LABEL', /both set and removed/);
    expect(editLabels({ plan: 'free', legacy: 'yes' }, { set: { plan: 'gold', region: 'eu' }, unset: ['legacy', 'absent'] })).toEqual({ plan: 'gold', region: 'eu' });
  });
});

describe('channel and policy', () => {
  it('accepts stable or a pre-release word, and the three policies', () => {
    for (const c of ['stable', 'beta', 'rc', 'nightly-x']) expect(assertChannel(c)).toBe(c);
    for (const c of ['', 'Beta', '1', 'be ta', 'x'.repeat(41)]) refused(() => assertChannel(c), 'SLW_VALIDATION', /channel/);
    for (const p of ['manual', 'continuous', 'staged']) expect(parsePolicy(p)).toBe(p);
    refused(() => parsePolicy('auto'), 'SLW_VALIDATION', /not one of manual, continuous, staged/);
  });
});

describe('sites by version', () => {
  it('counts the sites of each version (semver highest first, other tags, then none) and keeps the first names in name order', () => {
    const sites = [
      { name: 'c', version: '1.0.0' },
      { name: 'a', version: '1.10.0' },
      { name: 'b', version: '1.0.0' },
      { name: 'z', version: null },
      { name: 'd', version: '1.0.0' },
      { name: 'e', version: 'git-3fa9c1' },
      { name: 'f', version: '1.2.0-rc.1' },
      { name: 'g', version: '1.2.0' },
    ];
    expect(sitesByVersion(sites, 2)).toEqual([
      { version: '1.10.0', sites: 1, names: ['a'] },
      { version: '1.2.0', sites: 1, names: ['g'] },
      { version: '1.2.0-rc.1', sites: 1, names: ['f'] },
      { version: '1.0.0', sites: 3, names: ['b', 'c'] },
      { version: 'git-3fa9c1', sites: 1, names: ['e'] },
      { version: null, sites: 1, names: ['z'] },
    ]);
    expect(sitesByVersion([], 10)).toEqual([]);
    expect(sitesByVersion(sites, 0).find((g) => g.version === '1.0.0')).toEqual({ version: '1.0.0', sites: 3, names: [] });
  });

  it('stays a few rows for ten thousand sites', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ name: `s${String(i).padStart(5, '0')}`, version: i % 3 === 0 ? '2.0.0' : i % 3 === 1 ? '1.0.0' : null }));
    const out = sitesByVersion(many, 50);
    expect(out.map((g) => [g.version, g.sites, g.names.length])).toEqual([
      ['2.0.0', 3334, 50],
      ['1.0.0', 3333, 50],
      [null, 3333, 50],
    ]);
    expect(out[0]!.names.slice(0, 2)).toEqual(['s00000', 's00003']);
  });
});
