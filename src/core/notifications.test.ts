import { describe, expect, it } from 'vitest';
import { interpretUpstreamCall, maxListedSites, nextAttemptDelay, parseNotifyUrl, sitesBehind, versionNotice, type NoticeSite } from './notifications.js';

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'none';
};

describe('notify URL', () => {
  it('takes http and https URLs with a path and query', () => {
    expect(parseNotifyUrl('https://hooks.example.com/slipway?team=ops').href).toBe('https://hooks.example.com/slipway?team=ops');
    expect(parseNotifyUrl('http://127.0.0.1:8080/in').port).toBe('8080');
    expect(parseNotifyUrl('http://[::1]:9/x').hostname).toBe('[::1]');
  });

  it('refuses other schemes, credentials, fragments, spaces and very long URLs', () => {
    for (const bad of ['ftp://example.com/x', 'file:///etc/passwd', 'gopher://x', 'https://user:pw@example.com/', 'https://example.com/#frag', 'https://exa mple.com/', 'not a url', `https://example.com/${'a'.repeat(2100)}`, 'https://example.com/\nx']) {
      expect(code(() => parseNotifyUrl(bad)), bad).toBe('SLW_NOTIFY_URL_INVALID');
    }
  });
});

describe('version notices', () => {
  const sites: NoticeSite[] = [
    { name: 'zeta', version: '1.2.0', channel: 'stable' },
    { name: 'alpha', version: '1.2.5', channel: 'stable' },
    { name: 'beta-one', version: '1.3.0-beta.1', channel: 'beta' },
    { name: 'fresh', version: null, channel: 'stable' },
    { name: 'ahead', version: '1.4.0', channel: 'stable' },
    { name: 'same', version: '1.3.0', channel: 'stable' },
    { name: 'odd', version: 'git-123', channel: 'stable' },
  ];

  it('lists the sites on older versions of a channel that takes the version, by name', () => {
    // A release concerns every channel (a beta site takes stable releases above its beta).
    expect(sitesBehind('1.3.0', sites)).toEqual(['alpha', 'beta-one', 'zeta']);
    // A pre-release only its own channel.
    expect(sitesBehind('1.3.0-beta.2', sites)).toEqual(['beta-one']);
    expect(sitesBehind('not-semver', sites)).toEqual([]);
  });

  it('says what is available and who runs older versions', () => {
    const n = versionNotice('shop', '1.3.0', 'minor', sites);
    expect(n.message).toBe('shop 1.3.0 (minor) is available; 3 site(s) run older versions: alpha, beta-one, zeta');
    expect(n.details).toEqual({ version: '1.3.0', class: 'minor', sites: ['alpha', 'beta-one', 'zeta'], siteCount: 3, more: 0 });
    expect(versionNotice('shop', '0.9.0', 'patch', sites).message).toBe('shop 0.9.0 (patch) is available; no site runs an older version');
  });

  it(`lists at most ${maxListedSites} sites and counts the rest`, () => {
    const many = Array.from({ length: 120 }, (_, i) => ({ name: `site-${String(i).padStart(3, '0')}`, version: '1.0.0', channel: 'stable' }));
    const n = versionNotice('shop', '2.0.0', 'major', many);
    expect(n.details.sites).toHaveLength(maxListedSites);
    expect(n.details).toMatchObject({ siteCount: 120, more: 70 });
    expect(n.message).toMatch(/120 site\(s\) run older versions: site-000, .*site-049 and 70 more$/);
  });
});

describe('retry schedule', () => {
  it('tries four times in all: 5 s, 30 s, 2 min after the failures', () => {
    expect([1, 2, 3, 4].map(nextAttemptDelay)).toEqual([5_000, 30_000, 120_000, null]);
  });
});

describe('upstream hook calls', () => {
  const push = (repository: string, tag?: string, action = 'push') => ({ id: 'e1', timestamp: '2026-12-06T12:00:00Z', action, target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', repository, digest: 'sha256:ab', ...(tag ? { tag } : {}) }, request: { method: 'PUT' }, source: { addr: 'r:5000' } });

  it('polls on a plain call', () => {
    expect(interpretUpstreamCall({}, 'vendor/shop')).toMatchObject({ poll: true, tags: [] });
    expect(interpretUpstreamCall({ note: 'from CI' }, 'vendor/shop').poll).toBe(true);
  });

  it('polls when the registry says a semver tag was pushed to the repository', () => {
    const r = interpretUpstreamCall({ events: [push('vendor/shop'), push('vendor/shop', '1.3.0'), push('vendor/shop', '1.3.0'), push('Vendor/Shop', 'v1.4.0-rc.1')] }, 'vendor/shop');
    expect(r).toEqual({ poll: true, tags: ['1.3.0', 'v1.4.0-rc.1'], reason: 'pushed 1.3.0, v1.4.0-rc.1' });
  });

  it('ignores pulls, blob pushes, other repositories and tags that are not versions', () => {
    expect(interpretUpstreamCall({ events: [push('vendor/shop', '1.3.0', 'pull'), push('vendor/shop'), push('vendor/other', '2.0.0')] }, 'vendor/shop')).toEqual({ poll: false, reason: 'no tag was pushed to vendor/shop in 3 event(s)' });
    expect(interpretUpstreamCall({ events: [push('vendor/shop', 'latest')] }, 'vendor/shop')).toMatchObject({ poll: false, reason: expect.stringMatching(/not semantic versions/) });
    expect(interpretUpstreamCall({ events: [] }, 'vendor/shop').poll).toBe(false);
    expect(interpretUpstreamCall({ events: [null, 3, { action: 'push', target: 'x' }] }, 'vendor/shop').poll).toBe(false);
  });

  it('refuses a body that is not an object or whose events are not a list', () => {
    for (const bad of [null, [], 'x', 3, { events: {} }, { events: 'push' }]) expect(code(() => interpretUpstreamCall(bad, 'vendor/shop'))).toBe('SLW_WEBHOOK_PAYLOAD');
  });
});
