/** Push: every upload path real clients and the spec use, mounts, and manifests. */
import { blob, imageManifest, indexManifest, jsonBlob } from './fixtures.js';
import { expectThat, isOciError, pushBlob, pushManifest, withQuery, type Check } from './harness.js';

const octet = { 'content-type': 'application/octet-stream' };

export const pushChecks: Check[] = [
  {
    category: 'push',
    name: 'streamed upload: POST, one PATCH without Content-Range, PUT ?digest',
    run: async ({ client, ns }) => {
      const b = blob(64 * 1024);
      const start = await client.request('POST', `/v2/${ns}/blobs/uploads/`);
      expectThat(start.status === 202 && start.headers.has('location'), 'POST → 202 with Location', start);
      const patch = await client.request('PATCH', start.headers.get('location')!, { body: b.bytes, headers: octet });
      expectThat(patch.status === 202 && patch.headers.has('location'), 'PATCH → 202 with Location', patch);
      expectThat(patch.headers.get('range') === `0-${b.bytes.length - 1}`, `PATCH Range 0-${b.bytes.length - 1} (got ${patch.headers.get('range')})`);
      const put = await client.request('PUT', withQuery(patch.headers.get('location')!, `digest=${b.digest}`));
      expectThat(put.status === 201 && put.headers.has('location'), 'PUT ?digest → 201 with Location', put);
      const head = await client.request('HEAD', `/v2/${ns}/blobs/${b.digest}`);
      expectThat(head.status === 200, 'the blob is there afterwards', head);
    },
  },
  {
    category: 'push',
    name: 'monolithic upload: one POST ?digest with the body (201, or 202 then PUT)',
    run: async ({ client, ns }) => {
      const b = blob(2048);
      const r = await client.request('POST', `/v2/${ns}/blobs/uploads/?digest=${b.digest}`, { body: b.bytes, headers: octet });
      if (r.status === 202) {
        const put = await client.request('PUT', withQuery(r.headers.get('location')!, `digest=${b.digest}`), { body: b.bytes, headers: octet });
        expectThat(put.status === 201, 'fallback PUT → 201', put);
      } else {
        expectThat(r.status === 201, 'POST ?digest → 201 (or 202)', r);
      }
      expectThat((await client.request('HEAD', `/v2/${ns}/blobs/${b.digest}`)).status === 200, 'the blob is there afterwards');
    },
  },
  {
    category: 'push',
    name: 'monolithic upload: POST, then PUT ?digest with the body',
    run: async (ctx) => {
      const b = blob(2048);
      const put = await pushBlob(ctx, b);
      expectThat(put.status === 201 && put.headers.get('docker-content-digest') === b.digest, 'PUT → 201 with Docker-Content-Digest', put);
    },
  },
  {
    category: 'push',
    name: 'chunked upload: ordered chunks, status, out-of-order and retried chunks 416, final PUT with the last chunk',
    run: async ({ client, ns }) => {
      const b = blob(3000);
      const [c1, c2, c3] = [b.bytes.subarray(0, 1000), b.bytes.subarray(1000, 2000), b.bytes.subarray(2000)];
      const start = await client.request('POST', `/v2/${ns}/blobs/uploads/`, { headers: { 'content-length': '0' } });
      expectThat(start.status === 202, 'POST → 202', start);
      const p1 = await client.request('PATCH', start.headers.get('location')!, { body: c1, headers: { ...octet, 'content-range': '0-999' } });
      expectThat(p1.status === 202 && p1.headers.get('range') === '0-999', 'first chunk → 202 Range 0-999', p1);
      const location = p1.headers.get('location')!;
      const status = await client.request('GET', location);
      expectThat(status.status === 204 && status.headers.get('range') === '0-999' && status.headers.has('location'), 'GET upload → 204 with Range 0-999 and Location', status);
      const gap = await client.request('PATCH', location, { body: c3, headers: { ...octet, 'content-range': '2000-2999' } });
      expectThat(gap.status === 416, 'out-of-order chunk → 416', gap);
      const retry = await client.request('PATCH', location, { body: c1, headers: { ...octet, 'content-range': '0-999' } });
      expectThat(retry.status === 416, 'retried first chunk → 416', retry);
      const p2 = await client.request('PATCH', location, { body: c2, headers: { ...octet, 'content-range': '1000-1999' } });
      expectThat(p2.status === 202 && p2.headers.get('range') === '0-1999', 'second chunk → 202 Range 0-1999', p2);
      const put = await client.request('PUT', withQuery(p2.headers.get('location')!, `digest=${b.digest}`), { body: c3, headers: { ...octet, 'content-range': '2000-2999' } });
      expectThat(put.status === 201, 'PUT with the last chunk → 201', put);
      const get = await client.request('GET', `/v2/${ns}/blobs/${b.digest}`);
      expectThat(get.body.equals(b.bytes), 'the blob is the three chunks in order', get);
    },
  },
  {
    category: 'push',
    name: 'a wrong digest is refused with DIGEST_INVALID and stores nothing',
    run: async ({ client, ns }) => {
      const b = blob(512);
      const other = blob(512);
      const start = await client.request('POST', `/v2/${ns}/blobs/uploads/`);
      const put = await client.request('PUT', withQuery(start.headers.get('location')!, `digest=${other.digest}`), { body: b.bytes, headers: octet });
      expectThat(put.status === 400 && isOciError(put, 'DIGEST_INVALID'), 'PUT with a wrong digest → 400 DIGEST_INVALID', put);
      for (const d of [b.digest, other.digest]) expectThat((await client.request('HEAD', `/v2/${ns}/blobs/${d}`)).status === 404, 'nothing became visible');
    },
  },
  {
    category: 'push',
    name: 'cross-repository mount from a readable repository answers 201',
    run: async (ctx) => {
      const b = blob(1024);
      expectThat((await pushBlob(ctx, b, ctx.cross)).status === 201, `blob pushed to ${ctx.cross}`);
      const r = await ctx.client.request('POST', `/v2/${ctx.ns}/blobs/uploads/?mount=${b.digest}&from=${ctx.cross}`, { scopes: [`repository:${ctx.cross}:pull`] });
      expectThat(r.status === 201 && r.headers.get('docker-content-digest') === b.digest, 'POST ?mount&from → 201 with the digest', r);
      expectThat((await ctx.client.request('HEAD', `/v2/${ctx.ns}/blobs/${b.digest}`)).status === 200, 'the blob is readable in the target');
    },
  },
  {
    category: 'push',
    name: 'mount of a blob the source does not hold falls back to an upload session (202)',
    run: async ({ client, ns, cross }) => {
      const b = blob(64);
      const r = await client.request('POST', `/v2/${ns}/blobs/uploads/?mount=${b.digest}&from=${cross}`);
      expectThat(r.status === 202 && r.headers.has('location'), 'POST ?mount of a missing blob → 202 with Location', r);
    },
  },
  {
    category: 'push',
    name: 'manifest with a layer: 201 with Location and Docker-Content-Digest',
    run: async (ctx) => {
      const config = jsonBlob({ architecture: 'amd64', os: 'linux', n: ctx.run });
      const layer = blob(100);
      for (const b of [config, layer]) await pushBlob(ctx, b);
      const m = imageManifest(config, [layer]);
      const r = await pushManifest(ctx, m, `layered-${ctx.run}`);
      expectThat(r.status === 201 && r.headers.has('location') && r.headers.get('docker-content-digest') === m.digest, 'PUT manifest → 201 with Location and digest', r);
    },
  },
  {
    category: 'push',
    name: 'manifest with zero layers is accepted',
    run: async (ctx) => {
      const config = jsonBlob({ architecture: 'amd64', os: 'linux', empty: ctx.run });
      await pushBlob(ctx, config);
      const r = await pushManifest(ctx, imageManifest(config, []), `nolayers-${ctx.run}`);
      expectThat(r.status === 201, 'PUT manifest without layers → 201', r);
    },
  },
  {
    category: 'push',
    name: 'manifest naming a blob never pushed is refused with MANIFEST_BLOB_UNKNOWN',
    run: async (ctx) => {
      const r = await pushManifest(ctx, imageManifest(ctx.seed.config, [blob(32)]), `dangling-${ctx.run}`);
      expectThat(r.status === 400 && isOciError(r, 'MANIFEST_BLOB_UNKNOWN'), 'PUT → 400 MANIFEST_BLOB_UNKNOWN', r);
      const get = await ctx.client.request('GET', `/v2/${ctx.ns}/manifests/dangling-${ctx.run}`);
      expectThat(get.status === 404, 'the tag does not exist afterwards', get);
    },
  },
  {
    category: 'push',
    name: 'an image index round-trips with its media type',
    run: async (ctx) => {
      const index = indexManifest([{ digest: ctx.seed.manifest.digest, size: ctx.seed.manifest.bytes.length }]);
      expectThat((await pushManifest(ctx, index, `index-${ctx.run}`)).status === 201, 'PUT index → 201');
      const get = await ctx.client.request('GET', `/v2/${ctx.ns}/manifests/index-${ctx.run}`, { headers: { accept: index.mediaType } });
      expectThat(get.status === 200 && get.body.equals(index.bytes) && get.headers.get('content-type') === index.mediaType, 'GET index → same bytes and type', get);
    },
  },
  {
    category: 'push',
    name: 'a Docker schema 2 manifest round-trips with its media type',
    run: async (ctx) => {
      const config = jsonBlob({ architecture: 'amd64', os: 'linux', docker: ctx.run });
      await pushBlob(ctx, config);
      const m = imageManifest(config, [ctx.seed.layer], { docker: true });
      expectThat((await pushManifest(ctx, m, `docker-${ctx.run}`)).status === 201, 'PUT Docker manifest → 201');
      const get = await ctx.client.request('GET', `/v2/${ctx.ns}/manifests/docker-${ctx.run}`, { headers: { accept: m.mediaType } });
      expectThat(get.status === 200 && get.body.equals(m.bytes) && get.headers.get('content-type') === m.mediaType, 'GET → same bytes and Docker type', get);
    },
  },
];
