import { describe, expect, it } from 'vitest';
import { assertBranchPattern, assertGitCredential, assertGitRef, branchMatches, gitAuthorization, matchingBranchPattern, parseGitUrl, versionOfCommit } from './git.js';

describe('git URLs a tenant may link', () => {
  it('accepts https and http URLs, normalised, with the default port', () => {
    expect(parseGitUrl('https://Git.Example.com/team/app.git')).toEqual({ url: 'https://git.example.com/team/app.git', scheme: 'https', host: 'git.example.com', port: 443 });
    expect(parseGitUrl('http://127.0.0.1:8080/app.git')).toMatchObject({ host: '127.0.0.1', port: 8080, scheme: 'http' });
    expect(parseGitUrl('https://[::1]/app.git')).toMatchObject({ host: '::1', port: 443 });
  });
  it.each([
    ['ext::sh -c touch% /tmp/x', /remote helper/],
    ['fd::0,1', /remote helper/],
    ['file:///etc/passwd', /file:/],
    ['/srv/git/app.git', /not a URL/],
    ['git@github.com:org/app.git', /not a URL|uses git/],
    ['ssh://git@github.com/org/app.git', /ssh:/],
    ['git://example.com/app.git', /git:/],
    ['-uhttps://x', /option/],
    ['--upload-pack=touch /tmp/x', /option/],
    ['https://user:pw@example.com/app.git', /user name or password/],
    ['https://tok@example.com/app.git', /user name or password/],
    ['https://example.com/app.git?x=1', /query/],
    ['https://example.com/a b.git', /whitespace/],
    ['https://example.com/', /no repository path/],
    ['', /empty/],
  ])('refuses %s', (url, why) => {
    expect(() => parseGitUrl(url)).toThrow(expect.objectContaining({ code: 'SLW_GIT_URL_INVALID', message: expect.stringMatching(why) }));
  });
});

describe('refs and branch patterns', () => {
  it('accepts branch, tag and sha refs', () => {
    for (const ref of ['main', 'feature/x', 'refs/tags/v1.2.0', 'v1.2.0', 'a'.repeat(40)]) expect(assertGitRef(ref)).toBe(ref);
  });
  it.each(['-x', '--upload-pack=x', 'a..b', 'a b', 'x~1', 'a:b', '.hidden', 'a/.b', 'x.lock', 'a//b', '/a', 'a/', '@', 'x@{1}', 'a\nb'])('refuses %j', (ref) => {
    expect(() => assertGitRef(ref)).toThrow(expect.objectContaining({ code: 'SLW_VALIDATION' }));
  });
  it('matches * within one component and ** across them', () => {
    expect(branchMatches('feature/*', 'feature/x')).toBe(true);
    expect(branchMatches('feature/*', 'feature/x/y')).toBe(false);
    expect(branchMatches('feature/**', 'feature/x/y')).toBe(true);
    expect(branchMatches('release-*', 'release-1.2')).toBe(true);
    expect(branchMatches('release-*', 'releasex1')).toBe(false);
    expect(matchingBranchPattern(['hotfix/*', 'feature/*'], 'feature/a')).toBe('feature/*');
    expect(matchingBranchPattern(['feature/*'], 'main')).toBeNull();
    expect(assertBranchPattern('feature/*')).toBe('feature/*');
    expect(() => assertBranchPattern('-x*')).toThrow();
  });
});

describe('versions of commits', () => {
  const sha = '0123456789abcdef0123456789abcdef01234567';
  it('takes a version tag at the commit, else git-<12 hex>', () => {
    expect(versionOfCommit(sha, [])).toBe('git-0123456789ab');
    expect(versionOfCommit(sha, ['v1.2.0'])).toBe('v1.2.0');
    expect(versionOfCommit(sha, ['v1.10.0', 'v1.9.0'])).toBe('v1.10.0');
    expect(versionOfCommit(sha, ['src-abc', 'not a tag!', 'latest', 'stable'])).toBe('git-0123456789ab');
    expect(versionOfCommit(sha, ['stable', '2.0'])).toBe('2.0');
  });
});

describe('credentials', () => {
  it('takes a token or user:token on one line and sends it as basic auth', () => {
    expect(assertGitCredential('ghp_abc\n')).toBe('ghp_abc');
    expect(gitAuthorization('ghp_abc')).toBe(`Basic ${Buffer.from('x-access-token:ghp_abc').toString('base64')}`);
    expect(gitAuthorization('oauth2:glpat')).toBe(`Basic ${Buffer.from('oauth2:glpat').toString('base64')}`);
  });
  it('refuses line breaks (header injection), non-ASCII and SSH keys', () => {
    expect(() => assertGitCredential('a\r\nX-Evil: 1')).toThrow(expect.objectContaining({ code: 'SLW_VALIDATION' }));
    expect(() => assertGitCredential('tökén')).toThrow(expect.objectContaining({ code: 'SLW_VALIDATION' }));
    expect(() => assertGitCredential('-----BEGIN OPENSSH PRIVATE KEY-----')).toThrow(/SSH deploy keys/);
  });
});
