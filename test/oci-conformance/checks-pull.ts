/** Pull: the one category every registry must pass. */
import { blob } from './fixtures.js';
import { expectThat, isOciError, type Check } from './harness.js';

export const pullChecks: Check[] = [
  {
    category: 'pull',
    name: 'GET /v2/ answers 200',
    run: async ({ client }) => {
      const r = await client.request('GET', '/v2/');
      expectThat(r.status === 200, 'GET /v2/ → 200', r);
    },
  },
  {
    category: 'pull',
    name: 'HEAD and GET of a missing blob answer 404 (GET with an error body)',
    run: async ({ client, ns }) => {
      const missing = blob(16);
      const head = await client.request('HEAD', `/v2/${ns}/blobs/${missing.digest}`);
      expectThat(head.status === 404, 'HEAD missing blob → 404', head);
      const get = await client.request('GET', `/v2/${ns}/blobs/${missing.digest}`);
      expectThat(get.status === 404 && isOciError(get), 'GET missing blob → 404 with {"errors":[…]}', get);
    },
  },
  {
    category: 'pull',
    name: 'HEAD and GET of a missing manifest answer 404 (GET with an error body)',
    run: async ({ client, ns, run }) => {
      const head = await client.request('HEAD', `/v2/${ns}/manifests/missing-${run}`);
      expectThat(head.status === 404, 'HEAD missing manifest → 404', head);
      const get = await client.request('GET', `/v2/${ns}/manifests/missing-${run}`);
      expectThat(get.status === 404 && isOciError(get), 'GET missing manifest → 404 with {"errors":[…]}', get);
    },
  },
  {
    category: 'pull',
    name: 'HEAD of a blob gives Content-Length and Docker-Content-Digest',
    run: async ({ client, ns, seed }) => {
      const r = await client.request('HEAD', `/v2/${ns}/blobs/${seed.layer.digest}`);
      expectThat(r.status === 200, 'HEAD blob → 200', r);
      expectThat(r.headers.get('content-length') === String(seed.layer.bytes.length), `Content-Length ${seed.layer.bytes.length} (got ${r.headers.get('content-length')})`);
      expectThat(r.headers.get('docker-content-digest') === seed.layer.digest, 'Docker-Content-Digest is the digest');
    },
  },
  {
    category: 'pull',
    name: 'GET of a blob returns its bytes',
    run: async ({ client, ns, seed }) => {
      const r = await client.request('GET', `/v2/${ns}/blobs/${seed.layer.digest}`);
      expectThat(r.status === 200 && r.body.equals(seed.layer.bytes), 'GET blob → 200 with the pushed bytes', r);
    },
  },
  {
    category: 'pull',
    name: 'GET of a blob with Range returns 206 and the range',
    run: async ({ client, ns, seed }) => {
      const r = await client.request('GET', `/v2/${ns}/blobs/${seed.layer.digest}`, { headers: { range: 'bytes=10-19' } });
      expectThat(r.status === 206 && r.body.equals(seed.layer.bytes.subarray(10, 20)), 'Range bytes=10-19 → 206 with those 10 bytes', r);
    },
  },
  {
    category: 'pull',
    name: 'HEAD and GET of a manifest by digest: type, digest and bytes as pushed',
    run: async ({ client, ns, seed }) => {
      const head = await client.request('HEAD', `/v2/${ns}/manifests/${seed.manifest.digest}`, { headers: { accept: seed.manifest.mediaType } });
      expectThat(head.status === 200 && head.headers.get('docker-content-digest') === seed.manifest.digest, 'HEAD manifest by digest → 200 with its digest', head);
      const get = await client.request('GET', `/v2/${ns}/manifests/${seed.manifest.digest}`, { headers: { accept: seed.manifest.mediaType } });
      expectThat(get.status === 200 && get.body.equals(seed.manifest.bytes), 'GET manifest by digest → the pushed bytes', get);
      expectThat(get.headers.get('content-type') === seed.manifest.mediaType, `Content-Type ${seed.manifest.mediaType} (got ${get.headers.get('content-type')})`);
    },
  },
  {
    category: 'pull',
    name: 'GET of a manifest by tag returns it with its digest',
    run: async ({ client, ns, seed }) => {
      const r = await client.request('GET', `/v2/${ns}/manifests/${seed.tag}`, { headers: { accept: seed.manifest.mediaType } });
      expectThat(r.status === 200 && r.body.equals(seed.manifest.bytes) && r.headers.get('docker-content-digest') === seed.manifest.digest, 'GET manifest by tag → bytes and digest', r);
    },
  },
  {
    category: 'pull',
    name: 'a malformed digest answers 4xx with an error body',
    run: async ({ client, ns }) => {
      const r = await client.request('GET', `/v2/${ns}/manifests/sha256:not-hex`);
      expectThat(r.status >= 400 && r.status < 500 && r.status !== 401 && isOciError(r), 'GET manifests/sha256:not-hex → 4xx with {"errors":[…]}', r);
    },
  },
];
