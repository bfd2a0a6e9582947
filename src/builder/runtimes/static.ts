/**
 * `static`: the site's files under the web root of a static-file server base (nginx's
 * `/usr/share/nginx/html` unless the base's `io.slipway.web-root` label says otherwise); the
 * base's Entrypoint, Cmd and ExposedPorts are kept.
 *
 * @module
 */
import { SlipwayError } from '../../core/errors.js';
import type { Archive } from '../archive/archive.js';
import type { ArchiveEntry } from '../archive/entries.js';
import { normaliseEntryPath } from '../archive/paths.js';
import { labelsOf } from '../image/config.js';
import type { BaseImage } from '../types.js';
import { placeEntries, type RuntimePlan } from './plan.js';

export const webRootLabel = 'io.slipway.web-root';
export const defaultWebRoot = '/usr/share/nginx/html';

/** The web root as an image path without the leading slash. */
export function webRootOf(base: BaseImage): string {
  const value = labelsOf(base)[webRootLabel] ?? defaultWebRoot;
  let root: string | undefined;
  try {
    root = value.startsWith('/') ? normaliseEntryPath(value.slice(1)) : undefined;
  } catch {
    root = undefined;
  }
  if (!root) throw new SlipwayError('SLW_BASE_IMAGE_UNAVAILABLE', `the base image ${base.reference} has the label ${webRootLabel}=${JSON.stringify(value)}, which is not an absolute directory; fix the label or pick another base`);
  return root;
}

export function staticPlan(base: BaseImage, archive: Archive, entries: readonly ArchiveEntry[]): RuntimePlan {
  const root = webRootOf(base);
  return {
    layers: [{ name: 'site', createdBy: `slipway: static site /${root}`, entries: placeEntries(archive, entries, root) }],
    config: {},
  };
}
