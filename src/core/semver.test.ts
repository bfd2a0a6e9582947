import { describe, expect, it } from 'vitest';
import { channelOf, classifyAll, compareSemVer, latestOf, parseSemVer } from './semver.js';

const v = (t: string) => {
  const p = parseSemVer(t);
  if (!p) throw new Error(`not semver: ${t}`);
  return p;
};

describe('semantic versions', () => {
  it('parses releases, pre-releases, a leading v and build metadata; refuses the rest', () => {
    expect(v('v1.4.2')).toMatchObject({ major: 1, minor: 4, patch: 2, prerelease: [], tag: 'v1.4.2' });
    expect(v('2.0.0-rc.1+build.7').prerelease).toEqual(['rc', 1]);
    for (const bad of ['1.2', '01.2.3', '1.2.3-01', 'latest', 'git-3fa9c1e', '1.2.3-', '1.2.3+', '', 'V1.2.3', '1.2.3.4']) expect(parseSemVer(bad)).toBeNull();
  });

  it('orders as semver 2.0.0 §11 does', () => {
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0'];
    for (let i = 0; i + 1 < order.length; i += 1) {
      expect(compareSemVer(v(order[i]!), v(order[i + 1]!))).toBe(-1);
      expect(compareSemVer(v(order[i + 1]!), v(order[i]!))).toBe(1);
    }
    expect(compareSemVer(v('1.0.0+a'), v('v1.0.0+b'))).toBe(0);
    expect(compareSemVer(v('1.10.0'), v('1.9.0'))).toBe(1);
  });

  it('classifies a release against the previous release, a pre-release against the version below it', () => {
    const out = classifyAll(['1.0.0', '1.0.1', 'latest', '1.1.0', '2.0.0-beta.1', '2.0.0-beta.2', '2.0.0', 'v2.0.1']).map((c) => `${c.version.tag}:${c.class}`);
    expect(out).toEqual(['v2.0.1:patch', '2.0.0:major', '2.0.0-beta.2:prerelease', '2.0.0-beta.1:major', '1.1.0:minor', '1.0.1:patch', '1.0.0:first']);
  });

  it('picks latest as the highest stable version, and per channel', () => {
    const tags = ['1.0.0', '1.2.0', '1.3.0-beta.2', '1.3.0-beta.10', '1.3.0-rc.1', 'nightly'];
    expect(latestOf(tags)?.tag).toBe('1.2.0');
    expect(latestOf(tags, 'beta')?.tag).toBe('1.3.0-beta.10');
    expect(latestOf(tags, 'rc')?.tag).toBe('1.3.0-rc.1');
    expect(latestOf([...tags, '1.3.0'], 'beta')?.tag).toBe('1.3.0');
    expect(latestOf(['nightly'])).toBeNull();
    expect(channelOf(v('2.0.0-Beta.1'))).toBe('beta');
    expect(channelOf(v('2.0.0-1'))).toBe('prerelease');
    expect(channelOf(v('2.0.0'))).toBe('stable');
  });
});
