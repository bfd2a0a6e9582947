/**
 * Manifest, tag-list and referrers routes.
 *
 * @module
 */
import { isDigest, isTag, mediaTypes } from '../../core/oci.js';
import { deleteManifest, listTags, maxManifestBytes, putManifest, referrers, resolveManifest } from '../../registry/manifests.js';
import { RegistryError } from '../../registry/errors.js';
import { assertDigest } from '../../registry/blobs.js';
import { readBody, type RegistryRequest } from './request.js';

export async function handleManifests(r: RegistryRequest): Promise<void> {
  const { request, reply, registry, name, ref } = r;
  const method = request.method;
  const store = registry.store;
  if (method === 'GET' || method === 'HEAD') {
    await r.require(['pull']);
    const repo = await registry.repository(name);
    // A reference that is neither a tag nor a sha256 digest names no manifest: 404, as the
    // distribution spec's conformance expects (a PUT with such a tag stays a 400).
    if (!isTag(ref) && !isDigest(ref)) throw new RegistryError('MANIFEST_UNKNOWN', `${name} has no manifest ${JSON.stringify(ref)} (a reference is a tag or a sha256 digest)`);
    const manifest = await resolveManifest(store.db, repo, ref);
    void reply.code(200).header('content-type', manifest.mediaType).header('docker-content-digest', manifest.digest).header('etag', `"${manifest.digest}"`).header('content-length', String(manifest.size));
    if (method === 'HEAD') {
      void reply.send();
      return;
    }
    void reply.send(await store.blobs.readAll(manifest.digest));
    return;
  }
  if (method === 'PUT') {
    await r.require(['pull', 'push']);
    // The row of a project's first push is made only once the manifest passed every check.
    const repo = await registry.repository(name);
    const bytes = await readBody(request, maxManifestBytes);
    const stored = await putManifest(store, repo, ref, request.headers['content-type'], bytes, { ensureRepository: () => registry.repositoryForPush(name) });
    void reply.code(201).header('location', `/v2/${name}/manifests/${stored.digest}`).header('docker-content-digest', stored.digest).header('content-length', '0');
    if (stored.subject) void reply.header('oci-subject', stored.subject);
    void reply.send();
    return;
  }
  if (method === 'DELETE') {
    await r.require(['delete']);
    const repo = await registry.repository(name);
    await deleteManifest(store.db, repo, ref);
    void reply.code(202).header('content-length', '0').send();
    return;
  }
  throw new RegistryError('UNSUPPORTED', `${method} is not supported on manifests`, undefined, 405);
}

export async function handleTags(r: RegistryRequest): Promise<void> {
  await r.require(['pull']);
  const repo = await r.registry.repository(r.name);
  const nText = r.query.get('n');
  const n = nText === null ? undefined : Number(nText);
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) throw new RegistryError('SIZE_INVALID', `n=${nText} is not a non-negative integer`);
  const last = r.query.get('last') ?? undefined;
  const { tags, more } = n === 0 ? { tags: [], more: false } : await listTags(r.registry.store.db, repo, n, last);
  if (more && tags.length > 0) {
    void r.reply.header('link', `</v2/${r.name}/tags/list?n=${n}&last=${encodeURIComponent(tags.at(-1)!)}>; rel="next"`);
  }
  // A Buffer, not a string: Fastify would append `; charset=utf-8` to the media type.
  void r.reply.code(200).header('content-type', 'application/json').send(Buffer.from(JSON.stringify({ name: r.name, tags })));
}

export async function handleReferrers(r: RegistryRequest): Promise<void> {
  await r.require(['pull']);
  const repo = await r.registry.repository(r.name);
  assertDigest(r.ref);
  const artifactType = r.query.get('artifactType') ?? undefined;
  const index = await referrers(r.registry.store.db, repo, r.ref, artifactType);
  if (artifactType !== undefined) void r.reply.header('oci-filters-applied', 'artifactType');
  void r.reply.code(200).header('content-type', mediaTypes.ociIndex).send(Buffer.from(JSON.stringify(index)));
}
