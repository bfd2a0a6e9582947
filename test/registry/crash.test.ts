/**
 * SIGKILL in the middle of a large streamed upload: a real `slipway server` process receives a
 * 50 MB blob as one PATCH from a slow generator and is killed once part of it is on disk. After
 * a restart on the same data dir the blob is not visible, `registry/blobs` holds no file of its
 * digest, the interrupted session cannot be closed with that digest, and the same upload started
 * again succeeds (the stored file then hashes to the digest).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createToken, createWorkspace, registryCall, registryErrorCode, sha256 } from '../support/registry-clients.js';
import { cleanup, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';

const size = 50 * 1024 * 1024;
const chunk = 256 * 1024;
/** Kill once this much of the upload is on disk. */
const killAt = 8 * 1024 * 1024;

let server: ServerProcess;
let dataDir: string;
let auth: string;
let data: Buffer;
let digest: string;

/** Every file under `dir` (recursively), as paths. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const part of createReadStream(file) as AsyncIterable<Buffer>) hash.update(part);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * A PATCH of `data` to `location` streamed in chunks (chunked encoding, no Content-Length),
 * `delayMs` between chunks; stops writing when `stop()` returns true. Resolves with the status,
 * or with the error when the connection breaks.
 */
function streamPatch(baseUrl: string, location: string, delayMs: number, stop: () => boolean = () => false): Promise<{ status?: number; error?: string }> {
  const url = new URL(location, baseUrl);
  return new Promise((done) => {
    const req = request(url, { method: 'PATCH', headers: { authorization: auth, 'content-type': 'application/octet-stream' } }, (res) => {
      res.resume();
      res.on('end', () => done({ status: res.statusCode }));
      res.on('error', (e) => done({ error: e.message }));
    });
    req.on('error', (e) => done({ error: e.message }));
    void (async () => {
      for (let offset = 0; offset < data.length; offset += chunk) {
        if (stop() || req.destroyed) return;
        const ok = req.write(data.subarray(offset, offset + chunk));
        if (!ok) await new Promise<void>((r) => req.once('drain', () => r()));
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      }
      req.end();
    })().catch(() => undefined);
  });
}

async function startUpload(baseUrl: string): Promise<string> {
  const res = await registryCall(baseUrl, { method: 'POST', path: '/v2/ws/proj/blobs/uploads/', auth });
  expect(res.status).toBe(202);
  return res.headers.get('location')!;
}

beforeAll(async () => {
  dataDir = tempDir('slipway-registry-crash-');
  server = await startServerProcess({ dataDir });
  await createWorkspace(server.url, server.adminToken, 'ws', ['proj']);
  auth = basic(await createToken(server.url, server.adminToken, 'ws', 'developer'));
  data = randomBytes(size);
  digest = sha256(data);
});

afterAll(async () => {
  await server?.stop().catch(() => undefined);
  await cleanup();
});

describe('registry: SIGKILL during a large streamed upload', () => {
  it('leaves no visible blob and no blob file; the same upload started again succeeds', async () => {
    const blobFile = join(dataDir, 'registry', 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7));
    const location = await startUpload(server.url);
    const uploadFile = join(dataDir, 'registry', 'uploads', location.split('/').at(-1)!);
    expect(existsSync(uploadFile)).toBe(true);

    let killed = false;
    const patch = streamPatch(server.url, location, 20, () => killed);
    const until = Date.now() + 60_000;
    while ((existsSync(uploadFile) ? statSync(uploadFile).size : 0) < killAt) {
      if (Date.now() > until) throw new Error(`the upload did not reach ${killAt} bytes on disk`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await server.kill9();
    killed = true;
    const interrupted = await patch;
    expect(interrupted.status).toBeUndefined();
    const onDisk = statSync(uploadFile).size;
    expect(onDisk).toBeGreaterThanOrEqual(killAt);
    expect(onDisk).toBeLessThan(size);
    expect(existsSync(blobFile)).toBe(false);

    server = await startServerProcess({ dataDir });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    // Not visible, and nothing under registry/blobs is named after (or holds) the digest.
    expect((await registryCall(server.url, { method: 'HEAD', path: `/v2/ws/proj/blobs/${digest}`, auth })).status).toBe(404);
    const get = await registryCall(server.url, { path: `/v2/ws/proj/blobs/${digest}`, auth });
    expect({ status: get.status, code: registryErrorCode(get) }).toEqual({ status: 404, code: 'BLOB_UNKNOWN' });
    const blobFiles = filesUnder(join(dataDir, 'registry', 'blobs'));
    expect(blobFiles.filter((f) => f.includes(digest.slice(7)))).toEqual([]);
    for (const f of blobFiles) if (statSync(f).size === size) expect(await fileDigest(f)).not.toBe(digest);

    // The interrupted session (if the restart kept it) holds part of the bytes and cannot be
    // closed with the whole blob's digest.
    const state = await registryCall(server.url, { path: location, auth });
    if (state.status === 204) {
      const end = Number(/^0-(\d+)$/.exec(state.headers.get('range') ?? '')?.[1]);
      expect(end + 1).toBeLessThan(size);
    } else {
      expect({ status: state.status, code: registryErrorCode(state) }).toEqual({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' });
    }
    const close = await registryCall(server.url, { method: 'PUT', path: `${location}?digest=${digest}`, auth });
    expect([400, 404]).toContain(close.status);
    expect(registryErrorCode(close)).toMatch(/^(DIGEST_INVALID|BLOB_UPLOAD_UNKNOWN)$/);
    expect((await registryCall(server.url, { method: 'HEAD', path: `/v2/ws/proj/blobs/${digest}`, auth })).status).toBe(404);
    expect(existsSync(blobFile)).toBe(false);

    // The same upload again, streamed the same way (without the pauses), succeeds.
    const again = await startUpload(server.url);
    const sent = await streamPatch(server.url, again, 0);
    expect(sent).toEqual({ status: 202 });
    const put = await registryCall(server.url, { method: 'PUT', path: `${again}?digest=${digest}`, auth });
    expect({ status: put.status, digest: put.headers.get('docker-content-digest') }).toEqual({ status: 201, digest });
    const head = await registryCall(server.url, { method: 'HEAD', path: `/v2/ws/proj/blobs/${digest}`, auth });
    expect({ status: head.status, length: head.headers.get('content-length') }).toEqual({ status: 200, length: String(size) });
    expect(existsSync(blobFile)).toBe(true);
    expect(await fileDigest(blobFile)).toBe(digest);
    const served = await fetch(`${server.url}/v2/ws/proj/blobs/${digest}`, { headers: { authorization: auth } });
    expect(served.status).toBe(200);
    expect(sha256(new Uint8Array(await served.arrayBuffer()))).toBe(digest);
  }, 120_000);
});
