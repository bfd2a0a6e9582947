/**
 * Blob and upload routes: GET/HEAD/DELETE a blob; POST (start, monolithic, mount), PATCH
 * (streamed or chunked), PUT (close), GET (status) and DELETE (cancel) an upload session.
 *
 * @module
 */
import { parseContentRange } from '../../core/oci.js';
import { appendUpload, assertDigest, cancelUpload, deleteBlob, finishUpload, findUpload, mountBlob, startUpload, statBlob } from '../../registry/blobs.js';
import { RegistryError } from '../../registry/errors.js';
import { dropRepositoryIfEmpty } from '../../registry/repositories.js';
import { sendBlobBytes } from './blob-send.js';
import type { RegistryRequest } from './request.js';

export async function handleBlobs(r: RegistryRequest): Promise<void> {
  const { request, reply, registry, name, ref } = r;
  const method = request.method;
  await r.require(method === 'DELETE' ? ['delete'] : ['pull']);
  const repo = await registry.repository(name);
  assertDigest(ref);
  if (method === 'DELETE') {
    await deleteBlob(registry.store.db, repo, ref);
    void reply.code(202).header('content-length', '0').send();
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') throw new RegistryError('UNSUPPORTED', `${method} is not supported on blobs`, undefined, 405);
  const size = await statBlob(registry.store.db, repo, ref);
  if (size === null) throw new RegistryError('BLOB_UNKNOWN', `blob ${ref} is not in ${name}`, { digest: ref });
  void reply.header('docker-content-digest', ref).header('content-type', 'application/octet-stream').header('accept-ranges', 'bytes').header('etag', `"${ref}"`);
  const range = parseRange(request.headers.range, size);
  if (method === 'HEAD') {
    void reply.code(200).header('content-length', String(size)).send();
    return;
  }
  if (size === 0) {
    void reply.code(200).header('content-length', '0').send('');
    return;
  }
  if (range) void reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', String(range.end - range.start + 1));
  else void reply.code(200).header('content-length', String(size));
  await sendBlob(r, ref, size, range ?? { start: 0, end: size - 1 });
}

/**
 * Streams the blob's bytes in `range` (inclusive) on the raw response, past Fastify's payload
 * handling (see blob-send.ts for why). The file is opened before the head is written, so a blob
 * missing on disk still answers the registry's 500; later failures cut the body short.
 */
async function sendBlob(r: RegistryRequest, digest: string, size: number, range: { start: number; end: number }): Promise<void> {
  const { request, reply, registry } = r;
  const file = await registry.store.blobs.openBlob(digest);
  void reply.hijack();
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
  reply.raw.writeHead(reply.statusCode);
  try {
    const outcome = await sendBlobBytes(reply.raw, registry.chunks, file, { digest, size, start: range.start, end: range.end + 1 });
    if (outcome === 'file-short') request.log.error({ digest }, 'blob file is shorter than its recorded size; the response was cut short');
    else if (outcome === 'client-gone') request.log.info({ digest }, 'registry client went away');
  } catch (error) {
    request.log.error({ err: error, digest }, 'reading a blob failed; the response was cut short');
  }
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) throw new RegistryError('RANGE_INVALID', `unsupported Range ${header}; use bytes=START-END`);
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) throw new RegistryError('RANGE_INVALID', `Range ${header} is outside the blob's ${size} bytes`);
  return { start, end };
}

function uploadHeaders(r: RegistryRequest, id: string, size: number): void {
  void r.reply
    .header('location', `/v2/${r.name}/blobs/uploads/${id}`)
    .header('range', `0-${Math.max(0, size - 1)}`)
    .header('docker-upload-uuid', id)
    .header('content-length', '0');
}

function contentLength(r: RegistryRequest): number | undefined {
  const value = r.request.headers['content-length'];
  return value === undefined ? undefined : Number(value);
}

export async function handleUploads(r: RegistryRequest): Promise<void> {
  const { request, reply, registry, name, ref, query } = r;
  const method = request.method;
  await r.require(['pull', 'push']);
  // Only a POST starts something (and makes the repository's row on a project's first push,
  // once the request passed its checks); every other method needs a session, which a
  // repository without a row cannot have.
  const found = await registry.repository(name);
  const store = registry.store;
  const limits = registry.limits;
  if (method === 'POST') {
    if (ref !== '') throw new RegistryError('UNSUPPORTED', 'POST starts an upload at /v2/<name>/blobs/uploads/', undefined, 405);
    const mount = query.get('mount');
    if (mount !== null) assertDigest(mount);
    const digest = query.get('digest');
    if (digest !== null && mount === null) assertDigest(digest);
    const repo = found.id === '' ? await registry.repositoryForPush(name) : found;
    // A first push refused after its row was made (the body does not match its digest) takes the
    // row away again: a refused request stores nothing.
    const undoRow = found.id === '' ? () => dropRepositoryIfEmpty(store.db, repo.id) : async () => undefined;
    if (mount !== null) {
      const from = query.get('from');
      // Mount only from a repository the caller may pull; otherwise fall back to an upload, so
      // the answer never tells whether another workspace holds the blob.
      if (from && from !== name && (await callerCanPull(r, from))) {
        const source = await registry.repository(from);
        if (await mountBlob(store.db, source, repo, mount)) {
          void reply.code(201).header('location', `/v2/${name}/blobs/${mount}`).header('docker-content-digest', mount).header('content-length', '0').send();
          return;
        }
      } else if (from === name && (await statBlob(store.db, repo, mount)) !== null) {
        void reply.code(201).header('location', `/v2/${name}/blobs/${mount}`).header('docker-content-digest', mount).header('content-length', '0').send();
        return;
      }
    }
    const id = await startUpload(store, repo, limits).catch(async (error: unknown) => {
      await undoRow();
      throw error;
    });
    if (digest !== null && mount === null) {
      // Monolithic single POST: the body is the whole blob.
      try {
        await appendUpload(store, { id, size: 0 }, request.raw, null, contentLength(r), limits.maxBlobBytes);
        await finishUpload(store, repo, { id }, digest);
      } catch (error) {
        await cancelUpload(store, id).catch(() => undefined);
        await undoRow();
        throw error;
      }
      void reply.code(201).header('location', `/v2/${name}/blobs/${digest}`).header('docker-content-digest', digest).header('content-length', '0').send();
      return;
    }
    uploadHeaders(r, id, 0);
    void reply.code(202).send();
    return;
  }
  const repo = found;
  const upload = await findUpload(store, repo, ref, limits);
  if (method === 'GET') {
    uploadHeaders(r, upload.id, await store.blobs.uploadSize(upload.id));
    void reply.code(204).send();
    return;
  }
  if (method === 'DELETE') {
    await cancelUpload(store, upload.id);
    void reply.code(204).send();
    return;
  }
  const rangeHeader = request.headers['content-range'];
  const range = rangeHeader ? parseContentRange(rangeHeader) : null;
  if (rangeHeader && !range) throw new RegistryError('RANGE_INVALID', `Content-Range ${rangeHeader} is not <start>-<end>`);
  if (method === 'PATCH') {
    try {
      const size = await appendUpload(store, upload, request.raw, range, contentLength(r), limits.maxBlobBytes);
      uploadHeaders(r, upload.id, size);
      void reply.code(202).send();
    } catch (error) {
      if (error instanceof RegistryError && error.code === 'RANGE_INVALID') uploadHeaders(r, upload.id, await store.blobs.uploadSize(upload.id));
      throw error;
    }
    return;
  }
  if (method === 'PUT') {
    const digest = query.get('digest');
    if (digest === null) throw new RegistryError('DIGEST_INVALID', 'PUT closing an upload needs ?digest=sha256:…');
    const length = contentLength(r);
    if ((length ?? 0) > 0 || request.headers['transfer-encoding']) await appendUpload(store, upload, request.raw, range, length, limits.maxBlobBytes);
    await finishUpload(store, repo, upload, digest);
    void reply.code(201).header('location', `/v2/${name}/blobs/${digest}`).header('docker-content-digest', digest).header('content-length', '0').send();
    return;
  }
  throw new RegistryError('UNSUPPORTED', `${method} is not supported on uploads`, undefined, 405);
}

async function callerCanPull(r: RegistryRequest, repository: string): Promise<boolean> {
  try {
    await r.require(['pull'], repository);
    return true;
  } catch {
    return false;
  }
}
