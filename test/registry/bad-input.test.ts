/**
 * Bad registry input against a real `slipway server` process: truncated and mis-digested
 * uploads, a monolithic POST with the wrong content, manifests naming blobs never pushed or not
 * JSON at all, unknown upload sessions, malformed digests and out-of-order chunks. Each gets a
 * 4xx with the distribution spec's error body `{"errors":[{"code","message"}]}`, nothing
 * half-stored becomes visible, a correct retry works, the server answers `/healthz` after every
 * case, and no answer of the whole file was a 500.
 */
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  createToken,
  createWorkspace,
  ociManifest,
  pushBlob,
  racePatches,
  randomBlob,
  redact,
  registryCall,
  registryErrorCode,
  sha256,
  type RegistryResponse,
} from '../support/registry-clients.js';
import { cleanup, startServerProcess, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
let auth: string;
/** Every answer of this file, to check at the end that none was a 5xx. */
const answers: Array<{ request: string; status: number }> = [];

const repo = '/v2/ws/proj';
const octet = { 'content-type': 'application/octet-stream' };
const ociType = { 'content-type': 'application/vnd.oci.image.manifest.v1+json' };
const accept = { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' };

async function req(method: string, path: string, body?: Uint8Array | string, headers: Record<string, string> = {}): Promise<RegistryResponse> {
  const res = await registryCall(server.url, { method, path, auth, body, headers });
  answers.push({ request: `${method} ${path}`, status: res.status });
  return res;
}

/** `{ status, code }` of an error answer, the code checked to sit in the spec's error body. */
async function refusal(method: string, path: string, body?: Uint8Array | string, headers: Record<string, string> = {}): Promise<{ status: number; code: string }> {
  const res = await req(method, path, body, headers);
  return { status: res.status, code: method === 'HEAD' ? '(HEAD has no body)' : registryErrorCode(res) };
}

/** Starts an upload session; returns its Location. */
async function startUpload(): Promise<string> {
  const res = await req('POST', `${repo}/blobs/uploads/`);
  expect(res.status).toBe(202);
  const location = res.headers.get('location');
  expect(location).toMatch(/^\/v2\/ws\/proj\/blobs\/uploads\/[0-9a-f-]+$/);
  return location!;
}

/** Asserts the blob is not visible in the repository (HEAD and GET). */
async function expectNoBlob(digest: string): Promise<void> {
  expect((await req('HEAD', `${repo}/blobs/${digest}`)).status).toBe(404);
  expect(await refusal('GET', `${repo}/blobs/${digest}`)).toEqual({ status: 404, code: 'BLOB_UNKNOWN' });
}

/** Uploads `data` correctly (POST, PATCH, PUT) and checks it reads back. */
async function expectUploadWorks(data: Uint8Array): Promise<void> {
  const location = await startUpload();
  expect((await req('PATCH', location, data, octet)).status).toBe(202);
  const put = await req('PUT', `${location}?digest=${sha256(data)}`);
  expect(put.status).toBe(201);
  expect(put.headers.get('docker-content-digest')).toBe(sha256(data));
  const got = await fetch(`${server.url}${repo}/blobs/${sha256(data)}`, { headers: { authorization: auth } });
  expect({ status: got.status, digest: sha256(new Uint8Array(await got.arrayBuffer())) }).toEqual({ status: 200, digest: sha256(data) });
}

async function expectHealthy(): Promise<void> {
  const res = await fetch(`${server.url}/healthz`);
  expect(res.status).toBe(200);
  expect(((await res.json()) as { status?: string }).status).toBe('ok');
}

/** The tags of ws/proj. */
async function tags(): Promise<string[]> {
  const res = await req('GET', `${repo}/tags/list`);
  expect(res.status).toBe(200);
  return (res.json as { tags: string[] }).tags;
}

/**
 * Sends the head of a request and `sent` body bytes of the `declared`, then drops the
 * connection (`destroy`) or half-closes it (`end`); returns whatever the server answered.
 */
function sendTruncated(method: string, path: string, declared: number, sent: Uint8Array, how: 'destroy' | 'end'): Promise<string> {
  const url = new URL(server.url);
  return new Promise((done) => {
    let answer = '';
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      socket.destroy();
      done(answer);
    };
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${auth}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`);
      socket.write(sent, () => setTimeout(() => (how === 'end' ? socket.end() : socket.destroy()), 200));
    });
    socket.on('data', (d: Buffer) => (answer += d.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', finish);
    setTimeout(finish, 5_000);
  });
}

beforeAll(async () => {
  server = await startServerProcess();
  await createWorkspace(server.url, server.adminToken, 'ws', ['proj', 'other']);
  auth = basic(await createToken(server.url, server.adminToken, 'ws', 'developer'));
});

afterAll(async () => {
  await server?.stop().catch(() => undefined);
  await cleanup();
});

describe('registry bad input', () => {
  it('a truncated upload (half the bytes, then PUT ?digest= of the whole) is DIGEST_INVALID and stores nothing', async () => {
    const blob = randomBlob(64 * 1024);
    const half = blob.subarray(0, blob.length / 2);

    // Half sent in a PATCH, the whole digest claimed at PUT.
    const first = await startUpload();
    expect((await req('PATCH', first, half, octet)).headers.get('range')).toBe(`0-${half.length - 1}`);
    expect(await refusal('PUT', `${first}?digest=${sha256(blob)}`)).toEqual({ status: 400, code: 'DIGEST_INVALID' });
    await expectNoBlob(sha256(blob));
    await expectNoBlob(sha256(half));
    await expectHealthy();

    // Half sent as the PUT's own body.
    const second = await startUpload();
    expect(await refusal('PUT', `${second}?digest=${sha256(blob)}`, half, octet)).toEqual({ status: 400, code: 'DIGEST_INVALID' });
    await expectNoBlob(sha256(blob));
    await expectHealthy();

    // The client vanishes after half of a declared Content-Length: the chunk is rolled back.
    const third = await startUpload();
    await sendTruncated('PATCH', third, blob.length, half, 'destroy');
    await expectHealthy();
    const status = await req('GET', third);
    expect({ status: status.status, range: status.headers.get('range') }).toEqual({ status: 204, range: '0-0' });
    await sendTruncated('PUT', `${third}?digest=${sha256(blob)}`, blob.length, half, 'destroy');
    await expectNoBlob(sha256(blob));
    await expectHealthy();

    // The same, half-closing instead: whatever the answer, it is not a 2xx or a 5xx.
    const fourth = await startUpload();
    const answer = await sendTruncated('PUT', `${fourth}?digest=${sha256(blob)}`, blob.length, half, 'end');
    const statusLine = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
    if (statusLine !== undefined) {
      answers.push({ request: `PUT ${fourth} (half-closed after half the body)`, status: Number(statusLine) });
      expect(Number(statusLine)).toBeGreaterThanOrEqual(400);
      expect(Number(statusLine)).toBeLessThan(500);
    }
    await expectNoBlob(sha256(blob));
    await expectHealthy();

    // A new upload of the full content works.
    await expectUploadWorks(blob);
    await expectHealthy();
  });

  it('a wrong digest at PUT is DIGEST_INVALID; neither digest becomes visible', async () => {
    const blob = randomBlob(8 * 1024);
    const claimed = sha256(randomBlob(8 * 1024));
    const location = await startUpload();
    expect((await req('PATCH', location, blob, octet)).status).toBe(202);
    expect(await refusal('PUT', `${location}?digest=${claimed}`)).toEqual({ status: 400, code: 'DIGEST_INVALID' });
    await expectNoBlob(claimed);
    await expectNoBlob(sha256(blob));
    // PUT without ?digest at all.
    const bare = await startUpload();
    expect(await refusal('PUT', bare, blob, octet)).toEqual({ status: 400, code: 'DIGEST_INVALID' });
    await expectNoBlob(sha256(blob));
    await expectHealthy();
    await expectUploadWorks(blob);
  });

  it('a monolithic POST ?digest= with other content is DIGEST_INVALID and stores nothing', async () => {
    const blob = randomBlob(4096);
    const claimed = sha256(randomBlob(4096));
    expect(await refusal('POST', `${repo}/blobs/uploads/?digest=${claimed}`, blob, octet)).toEqual({ status: 400, code: 'DIGEST_INVALID' });
    await expectNoBlob(claimed);
    await expectNoBlob(sha256(blob));
    // An empty body claiming a non-empty blob's digest.
    expect(await refusal('POST', `${repo}/blobs/uploads/?digest=${sha256(blob)}`, new Uint8Array(0), octet)).toEqual({ status: 400, code: 'DIGEST_INVALID' });
    await expectNoBlob(sha256(blob));
    await expectHealthy();
    expect((await req('POST', `${repo}/blobs/uploads/?digest=${sha256(blob)}`, blob, octet)).status).toBe(201);
    expect((await req('HEAD', `${repo}/blobs/${sha256(blob)}`)).status).toBe(200);
  });

  it('a manifest naming a blob never pushed is MANIFEST_BLOB_UNKNOWN and the tag does not exist afterwards', async () => {
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    const layer = randomBlob(1024);
    await pushBlob(server.url, auth, 'ws/proj', config);
    const missingLayer = randomBlob(1024);
    const dangling = ociManifest(config, [layer, missingLayer]);
    await pushBlob(server.url, auth, 'ws/proj', layer);
    expect(await refusal('PUT', `${repo}/manifests/dangling`, dangling, ociType)).toEqual({ status: 400, code: 'MANIFEST_BLOB_UNKNOWN' });
    // The config never pushed either.
    const noConfig = ociManifest(randomBlob(64), [layer]);
    expect(await refusal('PUT', `${repo}/manifests/dangling`, noConfig, ociType)).toEqual({ status: 400, code: 'MANIFEST_BLOB_UNKNOWN' });
    // By digest as well.
    expect(await refusal('PUT', `${repo}/manifests/${sha256(dangling)}`, dangling, ociType)).toEqual({ status: 400, code: 'MANIFEST_BLOB_UNKNOWN' });
    expect(await refusal('GET', `${repo}/manifests/dangling`, undefined, accept)).toEqual({ status: 404, code: 'MANIFEST_UNKNOWN' });
    expect(await refusal('GET', `${repo}/manifests/${sha256(dangling)}`, undefined, accept)).toEqual({ status: 404, code: 'MANIFEST_UNKNOWN' });
    expect(await tags()).not.toContain('dangling');
    await expectHealthy();
    // With the layer pushed, the same manifest is accepted.
    await pushBlob(server.url, auth, 'ws/proj', missingLayer);
    const ok = await req('PUT', `${repo}/manifests/dangling`, dangling, ociType);
    expect({ status: ok.status, digest: ok.headers.get('docker-content-digest') }).toEqual({ status: 201, digest: sha256(dangling) });
  });

  it('a manifest that is not JSON (or not a manifest) is MANIFEST_INVALID and stores nothing', async () => {
    const bodies = ['this is not json', '{"schemaVersion": 2,', '', '[]', '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}', '\u0000\u0001\u0002'];
    for (const body of bodies) {
      expect({ body, ...(await refusal('PUT', `${repo}/manifests/notjson`, body, ociType)) }).toEqual({ body, status: 400, code: 'MANIFEST_INVALID' });
    }
    expect(await refusal('GET', `${repo}/manifests/notjson`, undefined, accept)).toEqual({ status: 404, code: 'MANIFEST_UNKNOWN' });
    expect(await tags()).not.toContain('notjson');
    await expectHealthy();
  });

  it('an unknown upload session is BLOB_UPLOAD_UNKNOWN, also one of another repository', async () => {
    const unknown = `${repo}/blobs/uploads/00000000-0000-4000-8000-000000000000`;
    const blob = randomBlob(64);
    expect(await refusal('GET', unknown)).toEqual({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' });
    expect(await refusal('PATCH', unknown, blob, octet)).toEqual({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' });
    expect(await refusal('PUT', `${unknown}?digest=${sha256(blob)}`, blob, octet)).toEqual({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' });
    expect(await refusal('DELETE', unknown)).toEqual({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' });
    expect(await refusal('GET', `${repo}/blobs/uploads/not-a-session-id!`)).toEqual({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' });
    // A real session, addressed through ws/other: unknown there.
    const location = await startUpload();
    const elsewhere = location.replace('/v2/ws/proj/', '/v2/ws/other/');
    expect(await refusal('PATCH', elsewhere, blob, octet)).toEqual({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' });
    expect(await refusal('PUT', `${elsewhere}?digest=${sha256(blob)}`, blob, octet)).toEqual({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' });
    // A cancelled session is unknown afterwards.
    expect((await req('DELETE', location)).status).toBe(204);
    expect(await refusal('PATCH', location, blob, octet)).toEqual({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' });
    await expectNoBlob(sha256(blob));
    await expectHealthy();
  });

  it('a malformed digest is a 400 wherever it appears, but a manifest GET by it is 404', async () => {
    const blob = randomBlob(64);
    for (const bad of ['sha256:xyz', 'sha256:' + 'A'.repeat(64), 'sha256:' + 'a'.repeat(63), `sha256-${'a'.repeat(64)}`, 'notadigest', 'sha256:']) {
      expect({ bad, ...(await refusal('GET', `${repo}/blobs/${bad}`)) }).toMatchObject({ bad, status: 400 });
      expect({ bad, status: (await req('HEAD', `${repo}/blobs/${bad}`)).status }).toEqual({ bad, status: 400 });
      // A manifest reference that is neither a tag nor a digest names no manifest: 404, as the
      // distribution spec's conformance expects (and a valid tag nobody pushed is 404 too).
      expect({ bad, ...(await refusal('GET', `${repo}/manifests/${bad}`, undefined, accept)) }).toEqual({ bad, status: 404, code: 'MANIFEST_UNKNOWN' });
      expect({ bad, ...(await refusal('POST', `${repo}/blobs/uploads/?digest=${encodeURIComponent(bad)}`, blob, octet)) }).toEqual({ bad, status: 400, code: 'DIGEST_INVALID' });
      const location = await startUpload();
      expect({ bad, ...(await refusal('PUT', `${location}?digest=${encodeURIComponent(bad)}`, blob, octet)) }).toEqual({ bad, status: 400, code: 'DIGEST_INVALID' });
      expect({ bad, ...(await refusal('POST', `${repo}/blobs/uploads/?mount=${encodeURIComponent(bad)}&from=ws/other`)) }).toEqual({ bad, status: 400, code: 'DIGEST_INVALID' });
    }
    for (const bad of ['sha256:xyz', 'sha256:']) {
      expect({ bad, ...(await refusal('GET', `${repo}/blobs/${bad}`)) }).toEqual({ bad, status: 400, code: 'DIGEST_INVALID' });
    }
    await expectNoBlob(sha256(blob));
    await expectHealthy();
  });

  it('an out-of-order chunk is 416 with a Range header saying what the upload holds; the upload is unchanged', async () => {
    const blob = randomBlob(300);
    const location = await startUpload();
    const first = await req('PATCH', location, blob.subarray(0, 100), { ...octet, 'content-range': '0-99' });
    expect({ status: first.status, range: first.headers.get('range') }).toEqual({ status: 202, range: '0-99' });

    for (const [range, part] of [
      ['150-249', blob.subarray(150, 250)], // a gap
      ['50-149', blob.subarray(50, 150)], // an overlap
      ['0-99', blob.subarray(0, 100)], // the same chunk again
    ] as const) {
      const res = await req('PATCH', location, part, { ...octet, 'content-range': range });
      expect({ range, status: res.status, code: registryErrorCode(res), header: res.headers.get('range') }).toEqual({ range, status: 416, code: 'BLOB_UPLOAD_INVALID', header: '0-99' });
      expect(res.headers.get('location')).toBe(location);
    }
    const state = await req('GET', location);
    expect({ status: state.status, range: state.headers.get('range') }).toEqual({ status: 204, range: '0-99' });
    await expectHealthy();

    const second = await req('PATCH', location, blob.subarray(100, 300), { ...octet, 'content-range': '100-299' });
    expect({ status: second.status, range: second.headers.get('range') }).toEqual({ status: 202, range: '0-299' });
    expect((await req('PUT', `${location}?digest=${sha256(blob)}`)).status).toBe(201);
    expect((await req('HEAD', `${repo}/blobs/${sha256(blob)}`)).status).toBe(200);
  });

  it('two PATCHes racing on one session never make a blob whose bytes differ from its digest', async () => {
    const slow = randomBlob(64 * 1024);
    const fast = randomBlob(1000);
    const location = await startUpload();
    const uploadFile = join(server.dataDir, 'registry', 'uploads', location.split('/').at(-1)!);
    const race = await racePatches(server.url, auth, location, uploadFile, slow, fast);
    answers.push({ request: `PATCH ${location} (slow)`, status: race.slow }, { request: `PATCH ${location} (fast)`, status: race.fast });
    expect(race.slow).not.toBe(0);
    expect(race.fast).not.toBe(0);

    // What the session says it holds is what it holds.
    const state = await req('GET', location);
    expect(state.status).toBe(204);
    const held = statSync(uploadFile).size;
    expect.soft(state.headers.get('range')).toBe(`0-${Math.max(0, held - 1)}`);

    // Closing it with the slow chunk's digest: either refused, or the blob served is those bytes.
    const put = await req('PUT', `${location}?digest=${sha256(slow)}`);
    expect([201, 400]).toContain(put.status);
    const got = await fetch(`${server.url}${repo}/blobs/${sha256(slow)}`, { headers: { authorization: auth } });
    const bytes = new Uint8Array(await got.arrayBuffer());
    answers.push({ request: `GET ${repo}/blobs/${sha256(slow)}`, status: got.status });
    if (put.status === 201) {
      expect({ status: got.status, length: bytes.length, digest: sha256(bytes) }).toEqual({ status: 200, length: slow.length, digest: sha256(slow) });
    } else {
      expect(got.status).toBe(404);
    }
    await expectHealthy();
  });

  it('no answer in this file was a 5xx, and the server logged no crash', async () => {
    await expectHealthy();
    expect(answers.length).toBeGreaterThan(80);
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect(redact(server.logs())).not.toMatch(/uncaught|unhandled/i);
  });
});
