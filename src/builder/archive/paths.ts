/**
 * Archive entry paths: normalisation and the "stays inside the root" rules. An entry path is
 * relative, `/`-separated, without `.` parts or a trailing slash; the root itself is `''`.
 *
 * @module
 */
import { SlipwayError } from '../../core/errors.js';

export function unsafe(entry: string, why: string): SlipwayError {
  return new SlipwayError('SLW_ARTIFACT_UNSAFE_PATH', `archive entry ${JSON.stringify(entry)} ${why}; repack the artifact with relative paths that stay inside its root`);
}

/** Normalises a raw entry name; refuses absolute paths, `..` components and NUL bytes. */
export function normaliseEntryPath(raw: string): string {
  if (raw.includes('\0')) throw unsafe(raw, 'contains a NUL byte');
  if (raw.startsWith('/') || /^[A-Za-z]:[\\/]/.test(raw)) throw unsafe(raw, 'has an absolute path');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(raw, "has a '..' component");
  return parts.join('/');
}

/** The parent of an entry path (`''` for a top-level entry). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Every proper ancestor of `path`, outermost first (`a/b/c` → `a`, `a/b`). */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

const maxLinkHops = 40;

/**
 * Resolves where a symlink at `linkPath` pointing to `target` ends up, following other symlinks
 * of the same tree (`links`: path → raw target) the way a kernel would. Returns the resolved path,
 * or `undefined` when any step leaves the root (an absolute target, too many `..`) or loops.
 */
export function resolveSymlink(linkPath: string, target: string, links: ReadonlyMap<string, string>): string | undefined {
  const walked = walk(parentOf(linkPath).split('/').filter((p) => p !== ''), target, links, 0);
  return walked?.join('/');
}

function walk(base: string[], target: string, links: ReadonlyMap<string, string>, hops: number): string[] | undefined {
  if (target.startsWith('/') || hops > maxLinkHops) return undefined;
  let cur = [...base];
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (cur.length === 0) return undefined;
      cur.pop();
      continue;
    }
    cur.push(part);
    const next = links.get(cur.join('/'));
    if (next === undefined) continue;
    cur.pop();
    const resolved = walk(cur, next, links, hops + 1);
    if (!resolved) return undefined;
    cur = resolved;
  }
  return cur;
}
