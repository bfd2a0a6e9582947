import { describe, expect, it } from 'vitest';
import { assertChannel, assertLabels, editLabels, labelVariable, parseLabelEdits, parsePolicy } from './sites.js';

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
