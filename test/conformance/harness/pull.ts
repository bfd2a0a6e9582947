/**
 * Pull checks (the spec's one MUST category): the base route, 404s with OCI error bodies for
 * missing blobs and manifests, and HEAD/GET of the seed image's blobs and manifest by digest and
 * by tag with the digest, length and media type it was pushed with, plus a blob Range request.
 *
 * @module
 */
import type { Reply } from './client.js';
import { expectHeader, expectOciError, expectStatus, expectThat, knownErrorCodes, errorCodes, type Check, type Context, type Seed } from './check.js';
import { unknownDigest } from './fixtures.js';

function seedOf(ctx: Context): Seed {
  expectThat(ctx.seed, 'the seed image was not pushed');
  return ctx.seed;
}

/** Status 200 and the manifest's Docker-Content-Digest, Content-Type and Content-Length. */
function expectManifestHeaders(reply: Reply, seed: Seed, what: string): void {
  expectStatus(reply, 200, what);
  expectHeader(reply, 'docker-content-digest', seed.manifest.digest, what);
  expectHeader(reply, 'content-type', seed.manifest.mediaType, what);
  expectHeader(reply, 'content-length', String(seed.manifest.size), what);
}

async function manifestRequest(ctx: Context, method: 'HEAD' | 'GET', reference: string): Promise<Reply> {
  return ctx.client.request(method, `/v2/${ctx.ns}/manifests/${reference}`, { headers: { accept: seedOf(ctx).manifest.mediaType } });
}

export const pullChecks: Check[] = [
  {
    id: 'pull.base',
    category: 'pull',
    name: 'GET /v2/ answers 200',
    async run(ctx) {
      expectStatus(await ctx.client.request('GET', '/v2/'), 200, 'GET /v2/');
    },
  },
  {
    id: 'pull.blob-missing',
    category: 'pull',
    name: 'HEAD and GET of a missing blob: 404, GET with an OCI error body',
    async run(ctx) {
      const digest = unknownDigest();
      expectStatus(await ctx.client.request('HEAD', `/v2/${ctx.ns}/blobs/${digest}`), 404, 'HEAD of a missing blob');
      const get = await ctx.client.request('GET', `/v2/${ctx.ns}/blobs/${digest}`);
      expectStatus(get, 404, 'GET of a missing blob');
      expectOciError(get, 'GET of a missing blob', 'BLOB_UNKNOWN');
    },
  },
  {
    id: 'pull.manifest-missing',
    category: 'pull',
    name: 'HEAD and GET of a missing manifest by tag and by digest: 404, GET with an OCI error body',
    async run(ctx) {
      for (const reference of [`missing-${ctx.run}`, unknownDigest()]) {
        const what = `${reference.startsWith('sha256:') ? 'by digest' : 'by tag'}`;
        expectStatus(await ctx.client.request('HEAD', `/v2/${ctx.ns}/manifests/${reference}`), 404, `HEAD of a missing manifest ${what}`);
        const get = await ctx.client.request('GET', `/v2/${ctx.ns}/manifests/${reference}`);
        expectStatus(get, 404, `GET of a missing manifest ${what}`);
        expectOciError(get, `GET of a missing manifest ${what}`, 'MANIFEST_UNKNOWN');
      }
    },
  },
  {
    id: 'pull.manifest-invalid-reference',
    category: 'pull',
    name: 'HEAD and GET of a manifest by a reference that is neither a tag nor a digest: 404',
    async run(ctx) {
      // The official suite's "GET nonexistent manifest should return 404" uses this very name.
      const reference = '.INVALID_MANIFEST_NAME';
      expectStatus(await ctx.client.request('HEAD', `/v2/${ctx.ns}/manifests/${reference}`), 404, `HEAD /manifests/${reference}`);
      expectStatus(await ctx.client.request('GET', `/v2/${ctx.ns}/manifests/${reference}`), 404, `GET /manifests/${reference}`);
    },
  },
  {
    id: 'pull.error-body',
    category: 'pull',
    name: 'GET of a malformed manifest digest: 400 with an OCI error body, or 404',
    async run(ctx) {
      const reply = await ctx.client.request('GET', `/v2/${ctx.ns}/manifests/sha256:totallywrong`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      expectStatus(reply, [400, 404], 'GET /manifests/sha256:totallywrong');
      if (reply.status === 400) {
        const codes = errorCodes(reply);
        expectThat(codes && knownErrorCodes.includes(codes[0]!), 'a 400 must carry an OCI error body whose first code is one of the spec', reply);
      }
    },
  },
  {
    id: 'pull.blob-head',
    category: 'pull',
    name: 'HEAD of a blob: 200, Content-Length and Docker-Content-Digest',
    needsSeed: true,
    async run(ctx) {
      const { layer } = seedOf(ctx);
      const reply = await ctx.client.request('HEAD', `/v2/${ctx.ns}/blobs/${layer.digest}`);
      expectStatus(reply, 200, 'HEAD of a blob');
      expectHeader(reply, 'content-length', String(layer.size), 'HEAD of a blob');
      expectHeader(reply, 'docker-content-digest', layer.digest, 'HEAD of a blob');
      expectThat(reply.body.length === 0, 'HEAD of a blob returned a body');
    },
  },
  {
    id: 'pull.blob-get',
    category: 'pull',
    name: 'GET of a blob: 200, its bytes, Content-Length and Docker-Content-Digest',
    needsSeed: true,
    async run(ctx) {
      for (const b of [seedOf(ctx).config, seedOf(ctx).layer]) {
        const reply = await ctx.client.request('GET', `/v2/${ctx.ns}/blobs/${b.digest}`);
        expectStatus(reply, 200, 'GET of a blob');
        expectHeader(reply, 'docker-content-digest', b.digest, 'GET of a blob');
        expectHeader(reply, 'content-length', String(b.size), 'GET of a blob');
        expectThat(reply.body.equals(b.bytes), `GET of a blob: the bytes differ from those pushed (${reply.body.length} bytes, pushed ${b.size})`);
      }
    },
  },
  {
    id: 'pull.blob-range',
    category: 'pull',
    name: 'GET of a blob with Range: 206, Content-Range and the slice',
    needsSeed: true,
    async run(ctx) {
      const { layer } = seedOf(ctx);
      const [from, to] = [10, 99];
      const reply = await ctx.client.request('GET', `/v2/${ctx.ns}/blobs/${layer.digest}`, { headers: { range: `bytes=${from}-${to}` } });
      expectStatus(reply, 206, `GET of a blob with Range: bytes=${from}-${to}`);
      expectHeader(reply, 'content-range', `bytes ${from}-${to}/${layer.size}`, 'ranged GET');
      expectThat(reply.body.equals(layer.bytes.subarray(from, to + 1)), `ranged GET: expected bytes ${from}-${to} of the blob, got ${reply.body.length} other bytes`);
    },
  },
  {
    id: 'pull.manifest-head-digest',
    category: 'pull',
    name: 'HEAD of a manifest by digest: 200, media type, digest and length as pushed',
    needsSeed: true,
    async run(ctx) {
      const reply = await manifestRequest(ctx, 'HEAD', seedOf(ctx).manifest.digest);
      expectManifestHeaders(reply, seedOf(ctx), 'HEAD of a manifest by digest');
    },
  },
  {
    id: 'pull.manifest-get-digest',
    category: 'pull',
    name: 'GET of a manifest by digest: 200, the bytes pushed, media type and digest',
    needsSeed: true,
    async run(ctx) {
      const reply = await manifestRequest(ctx, 'GET', seedOf(ctx).manifest.digest);
      expectManifestHeaders(reply, seedOf(ctx), 'GET of a manifest by digest');
      expectThat(reply.body.equals(seedOf(ctx).manifest.bytes), 'GET of a manifest by digest: the bytes differ from those pushed');
    },
  },
  {
    id: 'pull.manifest-head-tag',
    category: 'pull',
    name: 'HEAD of a manifest by tag: 200, media type, digest and length as pushed',
    needsSeed: true,
    async run(ctx) {
      const reply = await manifestRequest(ctx, 'HEAD', seedOf(ctx).tag);
      expectManifestHeaders(reply, seedOf(ctx), 'HEAD of a manifest by tag');
    },
  },
  {
    id: 'pull.manifest-get-tag',
    category: 'pull',
    name: 'GET of a manifest by tag: 200, the bytes pushed, media type and digest',
    needsSeed: true,
    async run(ctx) {
      const reply = await manifestRequest(ctx, 'GET', seedOf(ctx).tag);
      expectManifestHeaders(reply, seedOf(ctx), 'GET of a manifest by tag');
      expectThat(reply.body.equals(seedOf(ctx).manifest.bytes), 'GET of a manifest by tag: the bytes differ from those pushed');
    },
  },
];
