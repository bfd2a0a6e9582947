import { describe, expect, it } from 'vitest';
import { isDnsLabel } from './names.js';
import { branchEnvironmentName, commitImageTag, matchesBranchPatterns, previewEnvironmentName } from './webhooks.js';

describe('branchEnvironmentName', () => {
  it('keeps a branch that already is a short label', () => {
    expect(branchEnvironmentName('docs')).toBe('docs');
    expect(branchEnvironmentName('fix-123')).toBe('fix-123');
  });

  it('slugs anything else with a hash suffix, deterministic and distinct', () => {
    const a = branchEnvironmentName('feature/x');
    expect(a).toMatch(/^feature-x-[0-9a-f]{8}$/);
    expect(branchEnvironmentName('feature/x')).toBe(a);
    expect(branchEnvironmentName('feature-x')).toBe('feature-x');
    expect(branchEnvironmentName('Feature/X')).not.toBe(a);
  });

  it('never takes a default or preview name', () => {
    for (const b of ['dev', 'staging', 'prod', 'pr-12']) {
      expect(branchEnvironmentName(b)).not.toBe(b);
      expect(branchEnvironmentName(b).startsWith(`${b}-`)).toBe(true);
    }
  });

  it('is always a DNS label of at most 41 characters', () => {
    for (const b of ['a'.repeat(200), 'ü/ö/ä', '---', '/', 'release/2024.01.02', 'UPPER', 'x'.repeat(40), 'x'.repeat(41)]) {
      const name = branchEnvironmentName(b);
      expect(isDnsLabel(name), `${b} → ${name}`).toBe(true);
      expect(name.length).toBeLessThanOrEqual(41);
    }
  });
});

describe('matchesBranchPatterns', () => {
  it('matches * within a path segment and ** across', () => {
    expect(matchesBranchPatterns('feature/x', ['feature/*'])).toBe(true);
    expect(matchesBranchPatterns('feature/x/y', ['feature/*'])).toBe(false);
    expect(matchesBranchPatterns('feature/x/y', ['feature/**'])).toBe(true);
    expect(matchesBranchPatterns('main', ['feature/*'])).toBe(false);
    expect(matchesBranchPatterns('a.b', ['a?b'])).toBe(true);
    expect(matchesBranchPatterns('axb', ['a.b'])).toBe(false);
    expect(matchesBranchPatterns('x', [])).toBe(false);
  });
});

describe('names', () => {
  it('names previews and commit tags', () => {
    expect(previewEnvironmentName(7)).toBe('pr-7');
    expect(commitImageTag('ABCDEF0123456789abcdef0123456789abcdef01')).toBe('git-abcdef012345');
  });
});
