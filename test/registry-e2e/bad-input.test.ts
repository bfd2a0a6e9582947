/**
 * Bad registry input gets the spec's error body and a 4xx, never a 500; nothing half-stored
 * becomes visible; and a server killed in the middle of an upload restarts with no trace of it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServerProcess, cleanup, type ServerProcess } from '../support/server-process.js';
import { basic, pushBlob, randomBlob, sha256 } from '../support/oci-push.js';
import { BlobStore } from '../../src/registry/blob-store.js';

let server: ServerProcess;
const statuses: number[] = [];

afterAll(async () => {
  await server?.stop().catch(() => undefined);
  await cleanup();
});

async function setup(dataDir?: string): Promise<void> {
  server = await startServerProcess(dataDir ? { dataDir } : {});
  if (dataDir) return;
  const auth = { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' };
  await fetch(`${server.url}/api/v1/workspaces`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'acme', tier: 'high' }) });
  await fetch(`${server.url}/api/v1/workspaces/acme/projects`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'shop' }) });
}

async function req(method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: basic(server.adminToken), ...headers }, body });
  const text = await res.text();
  statuses.push(res.status);
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { errors?: Array<{ code: string }> }).errors?.[0]?.code;
  } catch {
    code = undefined;
  }
  return { status: res.status, code, location: res.headers.get('location'), range: res.headers.get('range') };
}

const octet = { 'content-type': 'application/octet-stream' };

describe('registry bad input', () => {
  it('answers each with a 4xx and the spec error body, stores nothing, and stays up', async () => {
    await setup();
    const repo = '/v2/acme/shop';
    const b = randomBlob(4096);

    const truncated = await req('POST', `${repo}/blobs/uploads/`);
    await req('PATCH', truncated.location!, b.subarray(0, 2048), octet);
    expect(await req('PUT', `${truncated.location!}?digest=${sha256(b)}`)).toMatchObject({ status: 400, code: 'DIGEST_INVALID' });
    expect((await req('HEAD', `${repo}/blobs/${sha256(b)}`)).status).toBe(404);
    expect((await req('PATCH', truncated.location!, b, octet)).status).toBe(404); // the session ended

    expect(await req('POST', `${repo}/blobs/uploads/?digest=${sha256(randomBlob(8))}`, b, octet)).toMatchObject({ status: 400, code: 'DIGEST_INVALID' });
    expect((await req('HEAD', `${repo}/blobs/${sha256(b)}`)).status).toBe(404);
    await pushBlob({ url: server.url, token: server.adminToken }, 'acme/shop', b);
    expect((await req('HEAD', `${repo}/blobs/${sha256(b)}`)).status).toBe(200);

    const manifest = (layers: string[]) =>
      new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(b), size: b.length }, layers: layers.map((d) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d, size: 10 })) }));
    const mt = { 'content-type': 'application/vnd.oci.image.manifest.v1+json' };
    expect(await req('PUT', `${repo}/manifests/dangling`, manifest([sha256(randomBlob(8))]), mt)).toMatchObject({ status: 400, code: 'MANIFEST_BLOB_UNKNOWN' });
    expect((await req('GET', `${repo}/manifests/dangling`)).status).toBe(404);
    expect(await req('PUT', `${repo}/manifests/notjson`, new TextEncoder().encode('{"schemaVersion": 2,'), mt)).toMatchObject({ status: 400, code: 'MANIFEST_INVALID' });
    expect(await req('PUT', `${repo}/manifests/badtype`, manifest([]), { 'content-type': 'text/plain' })).toMatchObject({ status: 400, code: 'MANIFEST_INVALID' });
    expect(await req('PUT', `${repo}/manifests/${sha256(randomBlob(8))}`, manifest([]), mt)).toMatchObject({ status: 400, code: 'DIGEST_INVALID' });
    expect(await req('PUT', `${repo}/manifests/bad..tag!`, manifest([]), mt)).toMatchObject({ status: 400 });
    expect(await req('GET', `${repo}/blobs/uploads/0123-not-a-session`)).toMatchObject({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' });
    expect(await req('GET', `${repo}/blobs/sha256:xyz`)).toMatchObject({ status: 400, code: 'DIGEST_INVALID' });
    expect(await req('GET', `${repo}/blobs/sha512:${'a'.repeat(128)}`)).toMatchObject({ status: 415, code: 'UNSUPPORTED' });
    expect(await req('GET', `${repo}/tags/list?n=-1`)).toMatchObject({ status: 400 });

    const chunked = await req('POST', `${repo}/blobs/uploads/`);
    const gap = await req('PATCH', chunked.location!, b.subarray(100, 200), { ...octet, 'content-range': '100-199' });
    expect(gap).toMatchObject({ status: 416, range: '0-0' });
    expect(await req('PATCH', chunked.location!, b.subarray(0, 50), { ...octet, 'content-range': '0-99' })).toMatchObject({ status: 416 });

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(server.logs()).not.toContain('"level":50');
  });

  it('a server killed during a streamed upload restarts without a trace of it; the upload can start over', async () => {
    const dataDir = server.dataDir;
    const big = randomBlob(48 * 1024 * 1024);
    const start = await req('POST', '/v2/acme/shop/blobs/uploads/');
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= big.length) return controller.close();
        const chunk = big.subarray(sent, sent + 1024 * 1024);
        sent += chunk.length;
        controller.enqueue(chunk);
        await new Promise((r) => setTimeout(r, 20));
      },
    });
    const upload = fetch(`${server.url}${start.location!}`, { method: 'PATCH', headers: { authorization: basic(server.adminToken), ...octet }, body, duplex: 'half' } as RequestInit).catch((e: unknown) => e);
    while (sent < 8 * 1024 * 1024) await new Promise((r) => setTimeout(r, 20));
    await server.kill9();
    await upload;

    const store = new BlobStore(join(dataDir, 'registry'));
    expect(existsSync(store.blobPath(sha256(big)))).toBe(false);
    await setup(dataDir);
    expect((await req('HEAD', `/v2/acme/shop/blobs/${sha256(big)}`)).status).toBe(404);
    await pushBlob({ url: server.url, token: server.adminToken }, 'acme/shop', big);
    expect((await req('HEAD', `/v2/acme/shop/blobs/${sha256(big)}`)).status).toBe(200);
    // What the killed upload received stays an upload session (resumable, collected after a day).
    const status = await req('GET', start.location!);
    expect(status.status).toBe(204);
    const end = Number(status.range!.split('-')[1]);
    expect(end).toBeGreaterThan(0);
    expect(end).toBeLessThan(big.length - 1);
    expect(readdirSync(join(dataDir, 'registry', 'uploads'))).toContain(start.location!.split('/').pop());
  }, 120_000);
});
