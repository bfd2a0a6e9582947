import { describe, expect, it } from 'vitest';
import { isProtectedTag, isVersionTag, planRetention, type TaggedImage } from './retention.js';

const image = (n: number, extra: string[] = []): TaggedImage => ({
  digest: `sha256:${String(n).padStart(64, '0')}`,
  tags: [{ tag: String(n), createdAt: `2026-01-0${n}T00:00:00.000Z` }, ...extra.map((tag) => ({ tag, createdAt: `2026-01-0${n}T00:00:00.000Z` }))],
});

describe('retention', () => {
  it('keeps the newest N versions, and what a release or a protected tag holds', () => {
    const images = [1, 2, 3, 4, 5, 6].map((n) => image(n, [`src-${String(n).repeat(12)}`]));
    const plan = planRetention({ images, keep: 3, inUse: new Set([images[1]!.digest]), protectedTags: [] });
    expect(plan.kept.map((k) => [k.digest.slice(-1), k.reason])).toEqual([
      ['6', 'newest'], ['5', 'newest'], ['4', 'newest'], ['2', 'release'],
    ]);
    expect(plan.removed.map((r) => r.digest.slice(-1))).toEqual(['3', '1']);
    expect(plan.removed[0]!.tags).toEqual(['3', 'src-333333333333']);
  });

  it('protected tags keep an image without pushing newer ones out; content tags are not versions', () => {
    const images = [image(1, ['stable']), image(2), image(3), { digest: 'sha256:'.padEnd(71, 'f'), tags: [{ tag: 'src-abcdefabcdef', createdAt: '2026-02-01T00:00:00.000Z' }] }];
    const plan = planRetention({ images, keep: 1, inUse: new Set(), protectedTags: ['stab*'] });
    expect(plan.kept.map((k) => k.reason)).toEqual(['newest', 'protected-tag']);
    expect(plan.removed.map((r) => r.digest.slice(-1))).toEqual(['2']);
  });

  it('matches patterns literally but for *', () => {
    expect(isProtectedTag(['v1.*'], 'v1.2')).toBe(true);
    expect(isProtectedTag(['v1.*'], 'v10')).toBe(false);
    expect(isProtectedTag(['release'], 'release-2')).toBe(false);
    expect(isVersionTag('src-0123456789ab')).toBe(false);
    expect(isVersionTag('1.0.0')).toBe(true);
  });
});
