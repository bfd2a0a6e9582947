/**
 * Base images for builds. A reference to Slipway's own registry (its host as the client reached
 * it) is read from the store, if the caller may pull it. Any other registry is fetched once with
 * the workspace's stored credentials, copied into the project's repository, and remembered, so
 * later builds read it locally.
 *
 * Either way the base's layers end up linked into the project's repository, because the built
 * image's manifest names them.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { mediaTypes, parseManifest, type Descriptor } from '../core/oci.js';
import type { BaseImage } from '../builder/types.js';
import type { Registry } from '../registry/registry.js';
import { grantedActions } from '../registry/auth.js';
import { linkFrom } from '../registry/blobs.js';
import { resolveManifest } from '../registry/manifests.js';
import { findRepository, type Repository } from '../registry/repositories.js';
import type { Principal } from '../tenancy/principal.js';
import type { Db } from '../store/schema.js';

/** Default bases per runtime, used when `--base` is not given (need network access to fetch). */
export const defaultBases = {
  java: 'docker.io/library/eclipse-temurin:21-jre',
  static: 'docker.io/library/nginx:stable-alpine',
  node: 'docker.io/library/node:22-slim',
} as const;

/** Splits `host/name[:tag][@digest]` when the first component is a host. */
export function splitReference(reference: string): { host: string | undefined; name: string; tag: string | undefined; digest: string | undefined } {
  const at = reference.indexOf('@');
  const digest = at >= 0 ? reference.slice(at + 1) : undefined;
  let rest = at >= 0 ? reference.slice(0, at) : reference;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  let host: string | undefined;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    host = first;
    rest = rest.slice(slash + 1);
  }
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  const name = tag === undefined ? rest : rest.slice(0, colon);
  return { host, name, tag, digest };
}

const unavailable = (reference: string, why: string) => new SlipwayError('SLW_BASE_IMAGE_UNAVAILABLE', `base image ${reference}: ${why}`);

/** Reads a base image held by this registry, after checking the caller may pull it. */
export async function ownBase(db: Db, registry: Registry, principal: Principal, reference: string, name: string, ref: string): Promise<{ base: BaseImage; source: Repository }> {
  const actions = await grantedActions(db, principal, name);
  const repo = actions.includes('pull') ? await findRepository(db, name) : null;
  if (!repo) throw unavailable(reference, `no repository ${name} this token can pull from in this Slipway registry; push the base there first (e.g. with docker or skopeo)`);
  let manifest;
  try {
    manifest = await resolveManifest(db, repo, ref);
  } catch {
    throw unavailable(reference, `${name} has no ${ref}`);
  }
  let bytes = await registry.store.blobs.readAll(manifest.digest);
  let info = parseManifest(bytes, manifest.mediaType);
  let digest = manifest.digest;
  if (info.manifests.length > 0) {
    const entry = pickPlatform(info.manifests);
    if (!entry) throw unavailable(reference, 'the index has no linux/amd64 image');
    const child = await resolveManifest(db, repo, entry.digest);
    bytes = await registry.store.blobs.readAll(child.digest);
    info = parseManifest(bytes, child.mediaType);
    digest = child.digest;
  }
  const [config, ...layers] = info.blobs;
  if (!config) throw unavailable(reference, 'the manifest names no config');
  const configDoc = JSON.parse((await registry.store.blobs.readAll(config.digest)).toString('utf8')) as Record<string, unknown>;
  const family = info.mediaType === mediaTypes.dockerManifest ? 'docker' : 'oci';
  return { base: { reference, manifestDigest: digest, family, config: configDoc, layers }, source: repo };
}

/** The linux/amd64 entry of an index (or its only entry). */
export function pickPlatform(entries: Descriptor[]): Descriptor | undefined {
  return entries.find((d) => d.platform?.os === 'linux' && d.platform.architecture === 'amd64') ?? (entries.length === 1 ? entries[0] : undefined);
}

/** Links the base's layers into the project's repository. */
export async function linkBaseLayers(db: Db, source: Repository, target: Repository, base: BaseImage): Promise<void> {
  if (source.id === target.id) return;
  await linkFrom(db, source, target, base.layers.map((l) => l.digest));
}
