import { describe, expect, it } from 'vitest';
import { fakeBase } from '../test-support/fixtures.js';
import { canonicalJson } from './canonical-json.js';
import { buildConfig, labelsOf } from './config.js';

describe('keys that are Object.prototype names', () => {
  // A base image's config is anyone's JSON: `__proto__` and `constructor` are plain keys there.
  const hostile = JSON.parse('{"b":1,"__proto__":{"polluted":true},"constructor":"c","a":{"__proto__":"x"}}') as Record<string, unknown>;

  it('canonical JSON keeps them as keys, sorted, and pollutes nothing', () => {
    expect(canonicalJson(hostile).toString()).toBe('{"__proto__":{"polluted":true},"a":{"__proto__":"x"},"b":1,"constructor":"c"}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a base's labels keep them, and the built config carries them", () => {
    const base = fakeBase('oci', { Labels: JSON.parse('{"__proto__":"p","constructor":"c","ok":"1"}') as Record<string, string> });
    expect(Object.keys(labelsOf(base)).sort()).toEqual(['__proto__', 'constructor', 'ok']);
    const config = buildConfig(base, {}, { 'io.slipway.runtime': 'static' }, []);
    expect(canonicalJson(config).toString()).toContain('"Labels":{"__proto__":"p","constructor":"c","io.slipway.runtime":"static","ok":"1"}');
  });
});
