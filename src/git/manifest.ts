/**
 * What a git build takes from the commit's `slipway.yaml` (its `build` section), over what the
 * link says (`--runtime`, `--base`): the manifest in the commit wins, since it travels with the
 * code it describes.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { parseManifest } from '../manifest/parse.js';
import { readFile, type FetchedCommit } from './fetch.js';

export interface BuildSettings {
  /** A builder runtime (java, static, node), or null: detect. `dockerfile` in the manifest becomes `dockerfile: 'Dockerfile'`. */
  runtime: string | null;
  base: string | null;
  /** The Dockerfile to build with buildah, or null: `Dockerfile` when the tree has one, else the builder. */
  dockerfile: string | null;
  network: boolean;
}

/** The commit's `slipway.yaml` (or `slipway.yml`) as text; null when it has none. */
export async function manifestTextOf(commit: FetchedCommit): Promise<string | null> {
  return (await readFile(commit, 'slipway.yaml')) ?? (await readFile(commit, 'slipway.yml'));
}

/** The build settings of a fetched commit: its manifest's `build` section (`text`: the commit's slipway.yaml) over the link's runtime and base. */
export function buildSettingsOf(text: string | null, linked: { runtime: string | null; base: string | null }): BuildSettings {
  const build = text === null ? null : parseManifest(text, 'slipway.yaml').build;
  const runtime = build?.runtime ?? linked.runtime;
  let dockerfile = build?.dockerfile ?? null;
  if (dockerfile !== null && (dockerfile.startsWith('/') || dockerfile.split('/').includes('..'))) {
    throw new SlipwayError('SLW_MANIFEST_INVALID', `slipway.yaml: build.dockerfile ${JSON.stringify(dockerfile)} must be a path inside the repository`);
  }
  if (runtime === 'dockerfile') dockerfile ??= 'Dockerfile';
  return { runtime: runtime === 'dockerfile' ? null : runtime, base: build?.base ?? linked.base, dockerfile, network: build?.network ?? false };
}
