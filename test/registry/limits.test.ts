/**
 * Registry caps (issue 10, finding 14) with small configured limits, on both store engines
 * against in-process servers: the largest blob (--max-blob-size), upload sessions open at once
 * per workspace (--max-upload-sessions), and idle upload sessions expiring
 * (SLIPWAY_UPLOAD_IDLE_TIMEOUT). Refusals carry the spec's error body with a stable code, and
 * nothing of a refused blob is stored.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { engines } from '../support/engines.js';
import { basic, createToken, createWorkspace, patchInParts, randomBlob, registryCall, registryErrorCode, sha256, type RegistryResponse } from '../support/registry-clients.js';

const octet = { 'content-type': 'application/octet-stream' };

async function serverOn(engine: string, env: Record<string, string>): Promise<{ server: InProcessServer; pgDb: TestDatabase | undefined; devA: string; devB: string }> {
  const pgDb = engine === 'postgres' ? await createTestDatabase() : undefined;
  const server = await startInProcessServer({ ...env, ...(pgDb ? { SLIPWAY_DATABASE_URL: pgDb.url } : {}) });
  await createWorkspace(server.url, server.adminToken, 'acme', ['shop']);
  await createWorkspace(server.url, server.adminToken, 'bravo', ['web']);
  return { server, pgDb, devA: await createToken(server.url, server.adminToken, 'acme', 'developer'), devB: await createToken(server.url, server.adminToken, 'bravo', 'developer') };
}

function uploadFiles(server: InProcessServer): string[] {
  return readdirSync(join(server.dataDir, 'registry', 'uploads'));
}

describe.each(engines)('registry limits on %s', (engine) => {
  let capped: Awaited<ReturnType<typeof serverOn>>;
  let idle: Awaited<ReturnType<typeof serverOn>>;
  const call = (s: InProcessServer, method: string, path: string, token: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<RegistryResponse> =>
    registryCall(s.url, { method, path, auth: basic(token), body, headers: body ? { ...octet, ...headers } : headers });

  beforeAll(async () => {
    capped = await serverOn(engine, { SLIPWAY_MAX_BLOB_SIZE: '1KiB', SLIPWAY_MAX_UPLOAD_SESSIONS: '3' });
    idle = await serverOn(engine, { SLIPWAY_UPLOAD_IDLE_TIMEOUT: '1' });
  });
  afterAll(async () => {
    for (const s of [capped, idle]) {
      await s?.server.close();
      await s?.pgDb?.drop();
    }
  });

  it('a blob over --max-blob-size is refused (413 SIZE_INVALID) whichever way it is sent; one at the limit is stored', async () => {
    const { server, devA } = capped;
    const big = randomBlob(1025);
    const mono = await call(server, 'POST', `/v2/acme/shop/blobs/uploads/?digest=${sha256(big)}`, devA, big);
    expect({ status: mono.status, code: registryErrorCode(mono) }).toEqual({ status: 413, code: 'SIZE_INVALID' });
    expect((mono.json as { errors: { message: string }[] }).errors[0]!.message).toContain('--max-blob-size');

    // Chunked: the chunk that would pass the limit is refused, the session keeps what it had.
    const start = await call(server, 'POST', '/v2/acme/shop/blobs/uploads/', devA);
    const location = start.headers.get('location')!;
    expect((await call(server, 'PATCH', location, devA, big.subarray(0, 600), { 'content-range': '0-599' })).status).toBe(202);
    const over = await call(server, 'PATCH', location, devA, big.subarray(600), { 'content-range': '600-1024' });
    expect({ status: over.status, code: registryErrorCode(over) }).toEqual({ status: 413, code: 'SIZE_INVALID' });
    expect((await call(server, 'GET', location, devA)).headers.get('range')).toBe('0-599');
    // Streamed without a length: cut off when it passes the limit.
    const streamed = await patchInParts(server.url, location, basic(devA), [big.subarray(600), randomBlob(2048)], 50, octet);
    expect(streamed).toBe(413);
    expect((await call(server, 'GET', location, devA)).headers.get('range')).toBe('0-599');
    expect((await call(server, 'DELETE', location, devA)).status).toBe(204);

    expect((await call(server, 'HEAD', `/v2/acme/shop/blobs/${sha256(big)}`, devA)).status).toBe(404);
    const exact = randomBlob(1024);
    expect((await call(server, 'POST', `/v2/acme/shop/blobs/uploads/?digest=${sha256(exact)}`, devA, exact)).status).toBe(201);
  });

  it('a workspace cannot open more than --max-upload-sessions at once (429 TOOMANYREQUESTS); others are not affected', async () => {
    const { server, devA, devB } = capped;
    const locations: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call(server, 'POST', '/v2/acme/shop/blobs/uploads/', devA);
      expect(res.status).toBe(202);
      locations.push(res.headers.get('location')!);
    }
    const refused = await call(server, 'POST', '/v2/acme/shop/blobs/uploads/', devA);
    expect({ status: refused.status, code: registryErrorCode(refused), retry: refused.headers.get('retry-after') }).toEqual({ status: 429, code: 'TOOMANYREQUESTS', retry: '1' });
    const blob = randomBlob(16);
    expect((await call(server, 'POST', `/v2/acme/shop/blobs/uploads/?digest=${sha256(blob)}`, devA, blob)).status).toBe(429);
    // bravo has its own allowance.
    expect((await call(server, 'POST', '/v2/bravo/web/blobs/uploads/', devB)).status).toBe(202);
    // Finishing or cancelling one frees a slot.
    expect((await call(server, 'DELETE', locations.pop()!, devA)).status).toBe(204);
    expect((await call(server, 'POST', `/v2/acme/shop/blobs/uploads/?digest=${sha256(blob)}`, devA, blob)).status).toBe(201);
    for (const location of locations) await call(server, 'DELETE', location, devA);
  });

  it('an idle upload session expires: it is unknown afterwards and its file is gone', async () => {
    const { server, devA } = idle;
    const start = await call(server, 'POST', '/v2/acme/shop/blobs/uploads/', devA);
    const location = start.headers.get('location')!;
    const id = location.split('/').at(-1)!;
    expect((await call(server, 'PATCH', location, devA, randomBlob(100))).status).toBe(202);
    expect(uploadFiles(server)).toContain(id);
    // The sweep runs every second with a 1 s idle timeout: gone within a few seconds.
    const deadline = Date.now() + 10_000;
    while (uploadFiles(server).includes(id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(uploadFiles(server)).not.toContain(id);
    const after = await call(server, 'PATCH', location, devA, randomBlob(10));
    expect({ status: after.status, code: registryErrorCode(after) }).toEqual({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' });
  });
});
