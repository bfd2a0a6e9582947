/**
 * Semantic versions of an application, pure: parsing tags (`1.4.2`, `v2.0.0-rc.1`), ordering
 * them as semver 2.0.0 does (build metadata ignored, pre-releases below their release, numeric
 * identifiers numerically), classifying a version against the one before it (patch, minor,
 * major), picking `latest` (the highest stable version) and the channel a version belongs to
 * (`stable`, or the first pre-release identifier: `beta`, `rc`…).
 *
 * @module
 */

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated pre-release identifiers; empty for a release. */
  prerelease: (string | number)[];
  /** The tag as written (with its `v`, if any). */
  tag: string;
}

export type VersionClass = 'major' | 'minor' | 'patch' | 'prerelease' | 'first';

const numeric = /^(0|[1-9]\d*)$/;
const pattern = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** The tag as a semantic version, or null when it is not one (`latest`, `git-3fa9c1`, `1.2`). */
export function parseSemVer(tag: string): SemVer | null {
  if (tag.length > 128) return null;
  const m = pattern.exec(tag);
  if (!m) return null;
  const prerelease = m[4] === undefined ? [] : m[4].split('.').map((id) => (numeric.test(id) ? Number(id) : id));
  // A numeric identifier with a leading zero is not semver (`1.0.0-01`).
  if (m[4] !== undefined && m[4].split('.').some((id) => /^\d+$/.test(id) && !numeric.test(id))) return null;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (![major, minor, patch].every(Number.isSafeInteger)) return null;
  return { major, minor, patch, prerelease, tag };
}

function compareIdentifiers(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative when `a` is lower, 0 when equal in precedence, positive when higher. */
export function compareSemVer(a: SemVer, b: SemVer): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return Math.sign(core);
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return Math.sign(b.prerelease.length - a.prerelease.length);
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i += 1) {
    if (i >= a.prerelease.length) return -1;
    if (i >= b.prerelease.length) return 1;
    const c = compareIdentifiers(a.prerelease[i]!, b.prerelease[i]!);
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}

export function isStable(v: SemVer): boolean {
  return v.prerelease.length === 0;
}

/** `stable` for a release, else the first pre-release identifier (`beta` of `2.0.0-beta.3`), lowercased. */
export function channelOf(v: SemVer): string {
  if (isStable(v)) return 'stable';
  const first = v.prerelease[0]!;
  return typeof first === 'number' ? 'prerelease' : first.toLowerCase();
}

/** How `v` differs from `previous`, the highest version below it (null: `v` is the first). */
export function classify(v: SemVer, previous: SemVer | null): VersionClass {
  if (!previous) return 'first';
  if (v.major !== previous.major) return 'major';
  if (v.minor !== previous.minor) return 'minor';
  if (v.patch !== previous.patch) return 'patch';
  return 'prerelease';
}

/**
 * The versions, highest first, each classified against the one before it: a release against the
 * previous release (2.0.0 after 2.0.0-rc.1 and 1.4.0 is major), a pre-release against the
 * version just below it.
 */
export function classifyAll(tags: string[]): { version: SemVer; class: VersionClass }[] {
  const sorted = tags
    .map(parseSemVer)
    .filter((v): v is SemVer => v !== null)
    .sort((a, b) => compareSemVer(b, a));
  return sorted.map((version, i) => {
    const below = sorted.slice(i + 1);
    const previous = isStable(version) ? (below.find(isStable) ?? null) : (below[0] ?? null);
    return { version, class: classify(version, previous) };
  });
}

/** The highest version on a channel (`stable` by default: the application's `latest`); null when none. */
export function latestOf(tags: string[], channel = 'stable'): SemVer | null {
  let best: SemVer | null = null;
  for (const tag of tags) {
    const v = parseSemVer(tag);
    if (!v) continue;
    // A site on the beta channel also takes stable releases above its beta.
    const onChannel = channel === 'stable' ? isStable(v) : isStable(v) || channelOf(v) === channel;
    if (onChannel && (best === null || compareSemVer(v, best) > 0)) best = v;
  }
  return best;
}
