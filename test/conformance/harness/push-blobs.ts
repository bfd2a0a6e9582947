/**
 * Push checks for blobs: the streamed upload every real client uses (POST, one PATCH without
 * Content-Range, PUT ?digest), monolithic POST ?digest and POST + PUT, the chunked sequence of
 * the official suite (out-of-order and retried chunks 416, status of the session, closing PUT
 * with the last chunk), a wrong digest, and cross-repository mounts.
 *
 * @module
 */
import type { Reply } from './client.js';
import { expectHeader, expectOciError, expectStatus, expectThat, pushBlob, withQuery, type Check, type Context } from './check.js';
import { blobOf, randomBlob, unknownDigest, type Blob } from './fixtures.js';

const octets = { 'content-type': 'application/octet-stream' };

/** POST /blobs/uploads/ → 202; the absolute session URL. */
async function startUpload(ctx: Context, repo = ctx.ns): Promise<{ reply: Reply; location: string }> {
  const reply = await ctx.client.request('POST', `/v2/${repo}/blobs/uploads/`);
  expectStatus(reply, 202, `POST /v2/${repo}/blobs/uploads/`);
  const location = reply.headers.get('location');
  expectThat(location, 'POST /blobs/uploads/ answered 202 without a Location', reply);
  return { reply, location: ctx.client.resolve(location, reply.url) };
}

function locationOf(ctx: Context, reply: Reply, what: string): string {
  const location = reply.headers.get('location');
  expectThat(location, `${what}: no Location header`, reply);
  return ctx.client.resolve(location, reply.url);
}

/** The blob is there with these bytes. */
async function expectBlob(ctx: Context, blob: Blob, what: string, repo = ctx.ns): Promise<void> {
  const reply = await ctx.client.request('GET', `/v2/${repo}/blobs/${blob.digest}`);
  expectStatus(reply, 200, `${what}: GET of the pushed blob`);
  expectThat(reply.body.equals(blob.bytes), `${what}: the blob's bytes differ from those pushed`);
}

/** A closing PUT answered 201 with a Location, and a digest header equal to the blob's if any. */
function expectCommitted(reply: Reply, blob: Blob, what: string): void {
  expectStatus(reply, 201, what);
  expectThat(reply.headers.get('location'), `${what}: 201 without a Location`);
  const digest = reply.headers.get('docker-content-digest');
  expectThat(digest === null || digest === blob.digest, `${what}: Docker-Content-Digest ${digest} is not ${blob.digest}`);
}

interface Chunked {
  blob: Blob;
  chunks: [Buffer, Buffer, Buffer];
  /** The session URL from the POST, reused for the retried chunk and the status GET. */
  first: string;
  /** The latest session URL. */
  location: string;
}

/** A blob in three chunks of at least `min` bytes (OCI-Chunk-Min-Length). */
function chunkedBlob(min: number): { blob: Blob; chunks: [Buffer, Buffer, Buffer] } {
  const size = Math.max(min, 1024);
  const blob = randomBlob(size * 3);
  return { blob, chunks: [blob.bytes.subarray(0, size), blob.bytes.subarray(size, 2 * size), blob.bytes.subarray(2 * size)] };
}

const range = (from: number, length: number): string => `${from}-${from + length - 1}`;

function patchChunk(ctx: Context, url: string, chunk: Buffer, from: number): Promise<Reply> {
  return ctx.client.request('PATCH', url, { body: chunk, headers: { ...octets, 'content-range': range(from, chunk.length) } });
}

function session(ctx: Context): Chunked {
  const s = ctx.state.get('chunked') as Chunked | undefined;
  expectThat(s, 'no chunked upload session from push.chunked-first');
  return s;
}

export const pushBlobChecks: Check[] = [
  {
    id: 'push.streamed',
    category: 'push',
    name: 'streamed upload: POST, one PATCH without Content-Range (202, Range), PUT ?digest (201)',
    async run(ctx) {
      const blob = randomBlob(64 * 1024);
      const { location } = await startUpload(ctx);
      const patch = await ctx.client.request('PATCH', location, { body: blob.bytes, headers: octets });
      expectStatus(patch, 202, 'streamed PATCH');
      expectHeader(patch, 'range', range(0, blob.size), 'streamed PATCH');
      const put = await ctx.client.request('PUT', withQuery(locationOf(ctx, patch, 'streamed PATCH'), { digest: blob.digest }));
      expectCommitted(put, blob, 'PUT ?digest closing a streamed upload');
      await expectBlob(ctx, blob, 'streamed upload');
    },
  },
  {
    id: 'push.monolithic-post',
    category: 'push',
    name: 'monolithic POST ?digest with the body: 201, or 202 and a session that takes the PUT',
    async run(ctx) {
      const blob = randomBlob(4096);
      const post = await ctx.client.request('POST', withQuery(`/v2/${ctx.ns}/blobs/uploads/`, { digest: blob.digest }), { body: blob.bytes, headers: octets });
      expectStatus(post, [201, 202], 'POST ?digest with a body');
      const location = locationOf(ctx, post, 'POST ?digest with a body');
      if (post.status === 202) {
        const head = await ctx.client.request('HEAD', `/v2/${ctx.ns}/blobs/${blob.digest}`);
        expectStatus(head, 404, 'after a 202 to POST ?digest the blob must not exist yet');
        const put = await ctx.client.request('PUT', withQuery(location, { digest: blob.digest }), { body: blob.bytes, headers: octets });
        expectCommitted(put, blob, 'PUT ?digest to the session a 202 POST opened');
      }
      await expectBlob(ctx, blob, 'monolithic POST');
    },
  },
  {
    id: 'push.monolithic-put',
    category: 'push',
    name: 'monolithic upload: POST (202), PUT ?digest with the body (201)',
    async run(ctx) {
      const blob = randomBlob(8192);
      const { location } = await startUpload(ctx);
      const put = await ctx.client.request('PUT', withQuery(location, { digest: blob.digest }), { body: blob.bytes, headers: octets });
      expectCommitted(put, blob, 'PUT ?digest with the body');
      await expectBlob(ctx, blob, 'POST + PUT');
    },
  },
  {
    id: 'push.chunked-out-of-order',
    category: 'push',
    name: 'chunked upload: a chunk that does not start at the current offset answers 416',
    async run(ctx) {
      const { reply, location } = await startUpload(ctx);
      const { chunks } = chunkedBlob(Number(reply.headers.get('oci-chunk-min-length') ?? 0));
      const patch = await patchChunk(ctx, location, chunks[1], chunks[0].length);
      expectStatus(patch, 416, `PATCH with Content-Range ${range(chunks[0].length, chunks[1].length)} to a new session`);
    },
  },
  {
    id: 'push.chunked-first',
    category: 'push',
    name: 'chunked upload: first chunk with Content-Range answers 202 with Location and Range',
    async run(ctx) {
      const { reply, location } = await startUpload(ctx);
      const { blob, chunks } = chunkedBlob(Number(reply.headers.get('oci-chunk-min-length') ?? 0));
      const patch = await patchChunk(ctx, location, chunks[0], 0);
      expectStatus(patch, 202, 'PATCH of the first chunk');
      expectHeader(patch, 'range', range(0, chunks[0].length), 'PATCH of the first chunk');
      ctx.state.set('chunked', { blob, chunks, first: location, location: locationOf(ctx, patch, 'PATCH of the first chunk') } satisfies Chunked);
    },
  },
  {
    id: 'push.chunked-retry',
    category: 'push',
    name: 'chunked upload: the first chunk sent again (to the POST Location) answers 416',
    needs: ['push.chunked-first'],
    async run(ctx) {
      const s = session(ctx);
      const patch = await patchChunk(ctx, s.first, s.chunks[0], 0);
      expectStatus(patch, 416, 'PATCH repeating the first chunk');
    },
  },
  {
    id: 'push.chunked-status',
    category: 'push',
    name: 'chunked upload: GET of the session (POST Location) answers 204 with Location and Range',
    needs: ['push.chunked-first'],
    async run(ctx) {
      const s = session(ctx);
      const status = await ctx.client.request('GET', s.first);
      expectStatus(status, 204, 'GET of the upload session');
      expectHeader(status, 'range', range(0, s.chunks[0].length), 'GET of the upload session');
      s.location = locationOf(ctx, status, 'GET of the upload session');
    },
  },
  {
    id: 'push.chunked-second',
    category: 'push',
    name: 'chunked upload: second chunk answers 202 with Location and Range',
    needs: ['push.chunked-first'],
    async run(ctx) {
      const s = session(ctx);
      const patch = await patchChunk(ctx, s.location, s.chunks[1], s.chunks[0].length);
      expectStatus(patch, 202, 'PATCH of the second chunk');
      expectHeader(patch, 'range', range(0, s.chunks[0].length + s.chunks[1].length), 'PATCH of the second chunk');
      s.location = locationOf(ctx, patch, 'PATCH of the second chunk');
    },
  },
  {
    id: 'push.chunked-close',
    category: 'push',
    name: 'chunked upload: closing PUT ?digest with the last chunk answers 201; the blob is whole',
    needs: ['push.chunked-second'],
    async run(ctx) {
      const s = session(ctx);
      const put = await ctx.client.request('PUT', withQuery(s.location, { digest: s.blob.digest }), { body: s.chunks[2], headers: octets });
      expectCommitted(put, s.blob, 'closing PUT with the last chunk');
      await expectBlob(ctx, s.blob, 'chunked upload');
    },
  },
  {
    id: 'push.digest-invalid',
    category: 'push',
    name: 'PUT ?digest that does not match the bytes: 400 DIGEST_INVALID, nothing stored',
    async run(ctx) {
      const blob = randomBlob(2048);
      const claimed = unknownDigest();
      const { location } = await startUpload(ctx);
      const put = await ctx.client.request('PUT', withQuery(location, { digest: claimed }), { body: blob.bytes, headers: octets });
      expectStatus(put, 400, 'PUT with a digest the bytes do not have');
      expectOciError(put, 'PUT with a wrong digest', 'DIGEST_INVALID');
      for (const digest of [claimed, blob.digest]) {
        expectStatus(await ctx.client.request('HEAD', `/v2/${ctx.ns}/blobs/${digest}`), 404, `HEAD ${digest.slice(0, 19)}… after the rejected upload`);
      }
    },
  },
  {
    id: 'push.mount',
    category: 'push',
    name: 'cross-repository mount from the crossmount repository: 201, Location, the blob readable',
    async run(ctx) {
      const blob = randomBlob(3000);
      await pushBlob(ctx, blob, ctx.cross);
      const post = await ctx.client.request('POST', withQuery(`/v2/${ctx.ns}/blobs/uploads/`, { mount: blob.digest, from: ctx.cross }), {
        scopes: [`repository:${ctx.cross}:pull`],
      });
      expectStatus(post, 201, `POST ?mount=…&from=${ctx.cross}`);
      const location = locationOf(ctx, post, 'mount');
      expectThat(new URL(location).pathname === `/v2/${ctx.ns}/blobs/${blob.digest}`, `mount: Location ${location} is not /v2/${ctx.ns}/blobs/${blob.digest}`);
      await expectBlob(ctx, blob, 'mounted blob');
    },
  },
  {
    id: 'push.mount-missing',
    category: 'push',
    name: 'mount of a blob that does not exist: 202 and an upload session that works',
    async run(ctx) {
      const blob = blobOf(Buffer.from(`mount fallback ${ctx.run} ${unknownDigest()}`));
      const post = await ctx.client.request('POST', withQuery(`/v2/${ctx.ns}/blobs/uploads/`, { mount: blob.digest, from: ctx.cross }), {
        scopes: [`repository:${ctx.cross}:pull`],
      });
      expectStatus(post, 202, 'POST ?mount of a missing blob');
      const location = locationOf(ctx, post, 'mount of a missing blob');
      expectThat(new URL(location).pathname.startsWith(`/v2/${ctx.ns}/blobs/uploads/`), `mount fallback: Location ${location} is not an upload session of ${ctx.ns}`);
      const put = await ctx.client.request('PUT', withQuery(location, { digest: blob.digest }), { body: blob.bytes, headers: octets });
      expectCommitted(put, blob, 'PUT to the session a fallen-back mount opened');
    },
  },
];
