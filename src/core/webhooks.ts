/**
 * Webhooks, pure: the providers, which branches get environments, and the names of branch and
 * preview environments (webhooks/verify.ts checks authenticity).
 *
 * @module
 */

export const webhookProviders = ['github', 'gitlab', 'gitea'] as const;
export type WebhookProvider = (typeof webhookProviders)[number];

/** True when `branch` matches one of the glob patterns (`*` matches anything but `/`, `**` anything). */
export function matchesBranchPatterns(branch: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => globToRegExp(p).test(branch));
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Names a branch environment may not take as they are (tier defaults, preview names). */
const reserved = /^(dev|staging|prod|pr-\d+)$/;
const cleanLabel = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

/**
 * The environment name of a branch: the branch itself when it already is a short DNS label
 * (at most 40 characters) that names no default or preview environment; otherwise a slug of at
 * most 32 characters plus `-` and 8 hex of the branch's FNV-1a hash, so two branches do not share
 * an environment (`feature/x` and `feature-x` differ; the store refuses the rare hash collision) and the name stays a valid label of at most
 * 41 characters, leaving room in the default domain.
 *
 * @example
 * branchEnvironmentName('docs'); // 'docs'
 * branchEnvironmentName('feature/x'); // 'feature-x-<8 hex>'
 */
export function branchEnvironmentName(branch: string): string {
  if (cleanLabel.test(branch) && !reserved.test(branch)) return branch;
  const slug = branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/g, '');
  const hash = fnv1a(branch);
  return `${slug || 'branch'}-${hash}`;
}

/** The environment name of a pull or merge request. */
export function previewEnvironmentName(number: number): string {
  return `pr-${number}`;
}

/** The registry tag CI pushes for a commit when previews and branch environments come from images: `git-<12 hex>`. */
export function commitImageTag(sha: string): string {
  return `git-${sha.slice(0, 12).toLowerCase()}`;
}

/** Default time a preview environment lives after its last update (72 h, as review apps go stale). */
export const defaultPreviewTtlSeconds = 72 * 3600;

/** Largest delivery body accepted (and kept for replay). GitHub caps payloads at 25 MB, but push and PR payloads are KBs. */
export const maxDeliveryBytes = 1024 * 1024;

/** 32-bit FNV-1a of the UTF-16 code units, 8 hex digits (a name suffix, not a security hash). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
