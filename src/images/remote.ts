/**
 * Images from other registries: base images fetched once into the project's repository (and
 * remembered per workspace), and `slipway import` of an image built elsewhere, copied by digest.
 * Blobs stream from the other registry through a verified upload, so nothing unverified is ever
 * visible. Credentials come from the workspace's stored registry credentials.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { SlipwayError } from '../core/errors.js';
import { ManifestError, mediaTypes, parseManifest } from '../core/oci.js';
import type { BaseImage } from '../builder/types.js';
import { OciClient, parseImageReference, type EgressPolicy } from '../registry/client/index.js';
import { credentialFor } from '../registry/credentials.js';
import { appendUpload, cancelUpload, finishUpload, startUpload, statBlob, type RegistryStore } from '../registry/blobs.js';
import { putManifest, resolveManifest } from '../registry/manifests.js';
import type { Repository } from '../registry/repositories.js';
import { nowIso } from '../platform/time.js';
import type { Keyring } from '../secrets/secrets.js';
import type { Db } from '../store/schema.js';
import { ownBase } from './base-images.js';

const imageTypes = [mediaTypes.ociManifest, mediaTypes.dockerManifest];

export interface RemoteServices {
  db: Db;
  store: RegistryStore;
  keyring: Keyring;
  /** Which registries may be reached (the server's --allow-registry-host); default: no internal address. */
  egress?: EgressPolicy;
}

/** A client that uses the workspace's stored credentials and the server's egress policy. */
export function clientFor(services: RemoteServices, workspaceId: string, unavailableCode: 'SLW_BASE_IMAGE_UNAVAILABLE' | 'SLW_UPSTREAM_REGISTRY'): OciClient {
  return new OciClient({ credentials: (host) => credentialFor(services.db, services.keyring, workspaceId, host), unavailableCode, ...(services.egress ? { egress: services.egress } : {}) });
}

/** Streams a blob from another registry into `target` unless it is there already. */
async function copyBlob(services: RemoteServices, client: OciClient, registry: string, repository: string, target: Repository, digest: string, size: number): Promise<void> {
  if ((await statBlob(services.db, target, digest)) !== null) return;
  const { stream } = await client.getBlob(registry, repository, digest, { size });
  await storeStream(services.store, target, digest, stream);
}

async function storeStream(store: RegistryStore, target: Repository, digest: string, stream: Readable): Promise<void> {
  const id = await startUpload(store, target);
  try {
    await appendUpload(store, { id, size: 0 }, stream, null, undefined);
    await finishUpload(store, target, { id }, digest);
  } catch (error) {
    await cancelUpload(store, id).catch(() => undefined);
    throw error;
  }
}

/**
 * A base image from another registry, in `target`. The first build with a reference fetches it
 * (manifest, config, layers) into `target`; later builds in the workspace read the kept copy.
 */
export async function remoteBase(services: RemoteServices, reference: string, target: Repository, workspaceId: string): Promise<BaseImage> {
  const cached = await services.db
    .selectFrom('registry_base_cache as c')
    .innerJoin('registry_repositories as r', 'r.id', 'c.repository_id')
    .select(['c.manifest_digest', 'r.id', 'r.name', 'r.workspace_id', 'r.project_id', 'r.keep_versions', 'r.protected_tags'])
    .where('c.workspace_id', '=', workspaceId)
    .where('c.reference', '=', reference)
    .executeTakeFirst();
  if (cached) {
    const source: Repository = { id: cached.id, name: cached.name, workspaceId: cached.workspace_id, projectId: cached.project_id, keepVersions: cached.keep_versions, protectedTags: JSON.parse(cached.protected_tags) as string[] };
    const kept = await readKept(services, source, cached.manifest_digest, reference);
    if (kept) {
      for (const layer of kept.layers) {
        if ((await statBlob(services.db, target, layer.digest)) === null) {
          const size = await statBlob(services.db, source, layer.digest);
          if (size === null) return fetchBase(services, reference, target, workspaceId);
          await services.db.insertInto('registry_repo_blobs').values({ repository_id: target.id, digest: layer.digest, linked_at: nowIso() }).onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing()).execute();
        }
      }
      return kept;
    }
  }
  return fetchBase(services, reference, target, workspaceId);
}

async function readKept(services: RemoteServices, repo: Repository, digest: string, reference: string): Promise<BaseImage | null> {
  try {
    const manifest = await resolveManifest(services.db, repo, digest);
    const info = parseManifest(await services.store.blobs.readAll(manifest.digest), manifest.mediaType);
    const [config, ...layers] = info.blobs;
    if (!config) return null;
    const doc = JSON.parse((await services.store.blobs.readAll(config.digest)).toString('utf8')) as Record<string, unknown>;
    return { reference, manifestDigest: manifest.digest, family: manifest.mediaType === mediaTypes.dockerManifest ? 'docker' : 'oci', config: doc, layers };
  } catch {
    return null;
  }
}

async function fetchBase(services: RemoteServices, reference: string, target: Repository, workspaceId: string): Promise<BaseImage> {
  const client = clientFor(services, workspaceId, 'SLW_BASE_IMAGE_UNAVAILABLE');
  const ref = parseImageReference(reference);
  const fetched = await client.getManifest(ref, [...imageTypes, mediaTypes.ociIndex, mediaTypes.dockerList], { resolvePlatform: true });
  await copyImage(services, client, ref.registry, ref.repository, target, fetched.bytes, fetched.mediaType);
  await putManifest(services.store, target, fetched.digest, fetched.mediaType, fetched.bytes);
  await services.db
    .insertInto('registry_base_cache')
    .values({ workspace_id: workspaceId, reference, manifest_digest: fetched.digest, repository_id: target.id, fetched_at: nowIso() })
    .onConflict((oc) => oc.columns(['workspace_id', 'reference']).doUpdateSet({ manifest_digest: fetched.digest, repository_id: target.id, fetched_at: nowIso() }))
    .execute();
  const kept = await readKept(services, target, fetched.digest, reference);
  if (!kept) throw new SlipwayError('SLW_BASE_IMAGE_UNAVAILABLE', `base image ${reference} could not be read back after fetching it`);
  return kept;
}

/** Copies an image manifest's blobs (config and layers) into `target`. */
async function copyImage(services: RemoteServices, client: OciClient, registry: string, repository: string, target: Repository, bytes: Buffer, mediaType: string): Promise<void> {
  let info;
  try {
    info = parseManifest(bytes, mediaType);
  } catch (error) {
    if (error instanceof ManifestError) throw new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${registry} sent a manifest for ${repository} that is not a valid OCI or Docker image manifest; check the reference`);
    throw error;
  }
  if (info.manifests.length > 0) throw new SlipwayError('SLW_UPSTREAM_REGISTRY', 'the image is an index without a linux/amd64 entry; import a single-platform image');
  for (const blob of info.blobs) await copyBlob(services, client, registry, repository, target, blob.digest, blob.size);
}

export interface ImportResult {
  repository: string;
  version: string;
  digest: string;
  mediaType: string;
  source: string;
  size: number;
}

/**
 * Copies an image into `target` under the immutable tag `version`. From this Slipway (`self`
 * hosts) it is linked, if the caller may pull it; from elsewhere it is streamed and verified.
 */
export async function importImage(services: RemoteServices, target: Repository, source: string, version: string, own: { hosts: string[]; pull: (name: string, ref: string) => ReturnType<typeof ownBase> }): Promise<ImportResult> {
  const ref = parseImageReference(source);
  let bytes: Buffer;
  let mediaType: string;
  if (own.hosts.includes(ref.registry.toLowerCase())) {
    const { base, source: from } = await own.pull(ref.repository, ref.digest ?? ref.tag ?? 'latest');
    const manifest = await resolveManifest(services.db, from, base.manifestDigest);
    bytes = await services.store.blobs.readAll(manifest.digest);
    mediaType = manifest.mediaType;
    for (const blob of parseManifest(bytes, mediaType).blobs) {
      if ((await statBlob(services.db, target, blob.digest)) === null) {
        await services.db.insertInto('registry_repo_blobs').values({ repository_id: target.id, digest: blob.digest, linked_at: nowIso() }).onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing()).execute();
      }
    }
  } else {
    const client = clientFor(services, target.workspaceId, 'SLW_UPSTREAM_REGISTRY');
    const fetched = await client.getManifest(ref, [...imageTypes, mediaTypes.ociIndex, mediaTypes.dockerList], { resolvePlatform: true });
    bytes = fetched.bytes;
    mediaType = fetched.mediaType;
    await copyImage(services, client, ref.registry, ref.repository, target, bytes, mediaType);
  }
  const stored = await putManifest(services.store, target, version, mediaType, bytes, { immutableTag: true });
  const size = bytes.length + parseManifest(bytes, mediaType).blobs.reduce((n, b) => n + b.size, 0);
  return { repository: target.name, version, digest: stored.digest, mediaType, source, size };
}
