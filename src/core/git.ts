/**
 * Git sources, the pure rules: which repository URLs a tenant may link (the URL is
 * attacker-controlled and the server fetches it), which refs may be named, branch patterns for
 * branch environments, and the version a commit's build gets.
 *
 * @module
 */
import { SlipwayError } from './errors.js';
import { isTag } from './oci.js';

export interface GitUrl {
  /** The URL as stored and given to git: scheme, host, optional port, path; no credentials, query or fragment. */
  url: string;
  scheme: 'https' | 'http';
  /** Host name or address as written (IPv6 without brackets), lower-case. */
  host: string;
  port: number;
}

const invalid = (raw: string, why: string) => new SlipwayError('SLW_GIT_URL_INVALID', `git URL ${JSON.stringify(raw.length > 200 ? `${raw.slice(0, 200)}…` : raw)} ${why}`);

/**
 * Parses a repository URL a tenant links. Only `https://` and `http://` are accepted (git's
 * `ext::`, `file:`, `ssh`/scp forms, `git://` and anything that looks like an option are refused),
 * with no user name, password, query or fragment in it: the credential is given separately.
 */
export function parseGitUrl(raw: string): GitUrl {
  const value = raw.trim();
  if (value === '') throw invalid(raw, 'is empty; give an https:// repository URL (e.g. https://git.example.com/team/app.git)');
  if (value.length > 2048) throw invalid(raw, 'is longer than 2048 characters');
  if (value.startsWith('-')) throw invalid(raw, 'looks like a command-line option; give an https:// repository URL');
  if (/^[a-z0-9+.-]*::/i.test(value)) throw invalid(raw, "uses a git remote helper ('transport::'), which Slipway never runs; give an https:// URL");
  if (/[\u0000-\u001f\u007f\s\\]/.test(value)) throw invalid(raw, 'holds whitespace, a backslash or a control character');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) throw invalid(raw, 'is not a URL (scp-like user@host:path and local paths are refused); give an https:// URL');
  if (scheme !== 'https' && scheme !== 'http') throw invalid(raw, `uses ${scheme}:, which Slipway does not fetch from; only https:// (or http://) repository URLs are accepted`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(raw, 'is not a valid URL');
  }
  if (url.username !== '' || url.password !== '') throw invalid(raw, 'holds a user name or password; link it without them and give the token with --credential (it is stored encrypted, never shown)');
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) throw invalid(raw, 'holds a query or fragment; give the plain repository URL');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === '') throw invalid(raw, 'has no host');
  if (url.pathname === '/' || url.pathname === '') throw invalid(raw, 'names no repository path');
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  return { url: `${scheme}://${url.host.toLowerCase()}${url.pathname}`, scheme, host, port };
}

/** A 40-hex commit id. */
export const isCommitSha = (value: string): boolean => /^[0-9a-f]{40}$/.test(value);

/**
 * Checks a ref a user or a webhook names (`main`, `feature/x`, `refs/tags/v1`, `v1.2.0`, a
 * 40-hex sha) against git's ref-name rules, and refuses anything that could be read as an option.
 */
export function assertGitRef(ref: string, what = 'ref'): string {
  const bad = (why: string) => new SlipwayError('SLW_VALIDATION', `${what} ${JSON.stringify(ref.length > 100 ? `${ref.slice(0, 100)}…` : ref)} ${why}`);
  if (ref === '' || ref.length > 255) throw bad('must be 1 to 255 characters');
  if (ref.startsWith('-')) throw bad("must not start with '-'");
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(ref)) throw bad("must not hold spaces, control characters or any of ~ ^ : ? * [ \\");
  if (ref.includes('..') || ref.includes('@{') || ref === '@' || ref.includes('//')) throw bad("must not hold '..', '@{' or '//', nor be '@'");
  if (ref.startsWith('/') || ref.endsWith('/') || ref.endsWith('.') || ref.endsWith('.lock')) throw bad("must not start or end with '/', or end with '.' or '.lock'");
  if (ref.split('/').some((part) => part.startsWith('.'))) throw bad("must not have a component starting with '.'");
  return ref;
}

/** Checks a branch-environment pattern: a branch name where `*` matches within one path component and `**` across them. */
export function assertBranchPattern(pattern: string): string {
  if (pattern.length === 0 || pattern.length > 200) throw new SlipwayError('SLW_VALIDATION', `branch pattern ${JSON.stringify(pattern)} must be 1 to 200 characters`);
  assertGitRef(pattern.replace(/\*/g, 'x'), 'branch pattern');
  return pattern;
}

/** Whether `branch` matches `pattern` (`feature/*` matches `feature/x`, not `feature/x/y`; `**` matches any depth). */
export function branchMatches(pattern: string, branch: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i += 1;
    } else if (c === '*') re += '[^/]*';
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(branch);
}

/** The first pattern `branch` matches, or null. */
export function matchingBranchPattern(patterns: readonly string[], branch: string): string | null {
  return patterns.find((p) => branchMatches(p, branch)) ?? null;
}

/**
 * The version a commit's build gets: a tag pointing at the commit that looks like a version (`v1.2.3`,
 * `1.2`: a digit first, after an optional `v`; the highest when several do), else `git-<12 hex of the sha>`.
 */
export function versionOfCommit(sha: string, tagsAtCommit: readonly string[]): string {
  // Only tags that look like versions (v1.2.3, 1.2, 2026.01): a moving tag such as `stable` or `latest` would become an immutable version.
  const usable = tagsAtCommit.filter((t) => isTag(t) && /^v?\d/.test(t));
  if (usable.length === 0) return `git-${sha.slice(0, 12)}`;
  return [...usable].sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))[0] as string;
}

/**
 * Checks a credential (a token, or `user:token`): printable, one line, bounded. It ends up in an
 * HTTP header, so a line break would inject headers.
 */
export function assertGitCredential(value: string): string {
  const v = value.replace(/\r?\n$/, '');
  if (v === '') throw new SlipwayError('SLW_VALIDATION', 'the git credential is empty; give a token (or user:token)');
  if (v.length > 4096) throw new SlipwayError('SLW_VALIDATION', 'the git credential is longer than 4096 characters');
  if (/[^\u0020-\u007e]/.test(v)) throw new SlipwayError('SLW_VALIDATION', 'the git credential holds a line break, control or non-ASCII character; give one token (or user:token) on one line');
  if (v.includes('PRIVATE KEY')) throw new SlipwayError('SLW_VALIDATION', 'SSH deploy keys are not supported (Slipway fetches over https only); give an access token with read access instead');
  return v;
}

/** The Authorization header value for a credential: basic auth, user `x-access-token` unless given as `user:token`. */
export function gitAuthorization(credential: string): string {
  const pair = credential.includes(':') ? credential : `x-access-token:${credential}`;
  return `Basic ${btoa(pair)}`;
}
