/**
 * Registry retention, pure: which images a "keep the newest N versions" policy removes, given
 * what must never go (images a release can still roll back to, tags a rule protects).
 *
 * A version is an image that carries at least one version tag (any tag but content tags
 * `src-…` and referrers-fallback tags `sha256-…`). Versions are ranked by their newest version
 * tag's creation; the newest N are kept; of the rest, protected ones are kept too and do not
 * count against N (so protection never pushes a newer version out).
 *
 * @module
 */

/** True when a tag pattern list (`*` as wildcard) protects `tag` from being moved or deleted. */
export function isProtectedTag(patterns: readonly string[], tag: string): boolean {
  return patterns.some((p) => new RegExp(`^${p.split('*').map(escapeRegExp).join('.*')}$`).test(tag));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** A content tag (`src-<12 hex>`) or a referrers fallback tag: not a version. */
export function isVersionTag(tag: string): boolean {
  return !/^src-[0-9a-f]{12}$/.test(tag) && !/^sha256-[0-9a-f]{64}$/.test(tag);
}

export interface TaggedImage {
  digest: string;
  tags: { tag: string; createdAt: string }[];
}

export interface RetentionInput {
  images: TaggedImage[];
  keep: number;
  /** Digests a release can still roll back to. */
  inUse: ReadonlySet<string>;
  protectedTags: readonly string[];
}

export interface RetentionPlan {
  kept: { digest: string; reason: 'newest' | 'release' | 'protected-tag' }[];
  /** Images to untag and delete, with the tags they lose. */
  removed: { digest: string; tags: string[] }[];
}

export function planRetention(input: RetentionInput): RetentionPlan {
  const versions = input.images
    .map((image) => ({ image, newest: image.tags.filter((t) => isVersionTag(t.tag)).map((t) => t.createdAt).sort().at(-1) }))
    .filter((v): v is { image: TaggedImage; newest: string } => v.newest !== undefined)
    .sort((a, b) => (a.newest === b.newest ? (a.image.digest < b.image.digest ? 1 : -1) : a.newest < b.newest ? 1 : -1));
  const plan: RetentionPlan = { kept: [], removed: [] };
  let newestKept = 0;
  for (const { image } of versions) {
    if (newestKept < Math.max(0, input.keep)) {
      newestKept += 1;
      plan.kept.push({ digest: image.digest, reason: 'newest' });
    } else if (input.inUse.has(image.digest)) {
      plan.kept.push({ digest: image.digest, reason: 'release' });
    } else if (image.tags.some((t) => isProtectedTag(input.protectedTags, t.tag))) {
      plan.kept.push({ digest: image.digest, reason: 'protected-tag' });
    } else {
      plan.removed.push({ digest: image.digest, tags: image.tags.map((t) => t.tag).sort() });
    }
  }
  return plan;
}
