/**
 * What a runtime contributes to an image: its layers (entries under an image path) and its
 * container config changes.
 *
 * @module
 */
import type { Archive } from '../archive/archive.js';
import type { ArchiveEntry } from '../archive/entries.js';
import type { ConfigChanges } from '../image/config.js';
import type { GzipLevel, LayerEntry } from '../layer/layer-writer.js';

export interface LayerPlan {
  /** Short name for build steps (`app`, `deps`). */
  name: string;
  /** The history entry's `created_by`; must not depend on the version or the artifact. */
  createdBy: string;
  entries: LayerEntry[];
  /** The layer's pinned gzip level (default: layer-writer's `gzipLevel`). */
  gzipLevel?: GzipLevel;
}

export interface RuntimePlan {
  layers: LayerPlan[];
  config: ConfigChanges;
}

/** Archive entries placed under `root` (an image path without the leading slash). */
export function placeEntries(archive: Archive, entries: readonly ArchiveEntry[], root: string): LayerEntry[] {
  return entries.map((e) => {
    const out: LayerEntry = { path: `${root}/${e.path}`, type: e.type, size: e.type === 'file' ? e.size : 0 };
    if (e.type === 'file') {
      out.executable = (e.mode & 0o111) !== 0;
      out.open = () => archive.read(e);
    }
    if (e.type === 'symlink') out.linkTarget = e.linkTarget ?? '';
    return out;
  });
}

/** The port a runtime listens on: the base's PORT when it is a number, else 8080. */
export function portOf(env: Map<string, string>): string {
  const port = env.get('PORT');
  return port !== undefined && /^\d{1,5}$/.test(port) ? port : '8080';
}
