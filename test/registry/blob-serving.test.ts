/**
 * Serving blob bytes (issue 12, item 4): GET of a blob writes from a shared pool of 1 MiB
 * buffers straight to the socket. Many concurrent pulls of blobs of every size around the chunk
 * size each get their own exact bytes; ranges across chunk boundaries are exact; clients that
 * hang up mid-body leave no open file behind and do not disturb the others; a blob file shorter
 * than its record cuts the body short (never other bytes), and a missing one is a 500 with the
 * registry's error body.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readlinkSync, rmSync, truncateSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkBytes } from '../../src/registry/blob-chunks.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { basic, createToken, createWorkspace, pushBlob, randomBlob, registryCall, registryErrorCode } from '../support/registry-clients.js';

const repo = 'acme/shop';
const hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

interface Pulled {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The whole body arrived (Content-Length bytes, then the end). */
  complete: boolean;
}

/**
 * A GET with node:http (it reports a body cut short instead of throwing); `abortAfter` hangs up
 * after that many bytes; `stallUntil` stops reading after the first bytes until it resolves.
 */
function pull(url: string, path: string, headers: Record<string, string>, abortAfter?: number, stallUntil?: Promise<unknown>): Promise<Pulled> {
  return new Promise((done, fail) => {
    const req = request(new URL(path, url), { headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete });
      res.on('data', (chunk: Buffer) => {
        if (size === 0 && stallUntil) {
          res.pause();
          void stallUntil.then(() => res.resume());
        }
        chunks.push(chunk);
        size += chunk.length;
        if (abortAfter !== undefined && size >= abortAfter) req.destroy();
      });
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', () => undefined);
    });
    req.on('error', (error) => (abortAfter !== undefined ? undefined : fail(error)));
    req.end();
  });
}

/** Files of the blob store this process holds open. */
function openBlobFiles(dataDir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(join(dataDir, 'registry', 'blobs'))) out.push(target);
    } catch {
      // closed while listing
    }
  }
  return out;
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`still not true after 10 s: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('serving blob bytes', () => {
  let server: InProcessServer;
  let auth: string;
  const blobs = new Map<string, Uint8Array>();

  beforeAll(async () => {
    server = await startInProcessServer();
    await createWorkspace(server.url, server.adminToken, 'acme', ['shop']);
    auth = basic(await createToken(server.url, server.adminToken, 'acme', 'developer'));
    // More chunks than the registry keeps (keepChunks): chunks are evicted and their buffers reused while others are sent.
    for (const size of [0, 1, chunkBytes - 1, chunkBytes, chunkBytes + 1, Math.floor(2.5 * chunkBytes), 4 * chunkBytes + 7, 12 * chunkBytes + 3, 13 * chunkBytes + 5]) {
      const data = randomBlob(size);
      blobs.set(await pushBlob(server.url, auth, repo, data), data);
    }
  });
  afterAll(async () => server?.close());

  it('many concurrent GETs of blobs of every size around the chunk size each get exactly their own bytes', async () => {
    const digests = [...blobs.keys()];
    const pulls = Array.from({ length: 4 * digests.length }, (_, i) => digests[i % digests.length]!);
    const results = await Promise.all(pulls.map((digest) => pull(server.url, `/v2/${repo}/blobs/${digest}`, { authorization: auth }).then((r) => ({ digest, r }))));
    for (const { digest, r } of results) {
      const want = blobs.get(digest)!;
      expect({ status: r.status, length: r.headers['content-length'], digest: r.headers['docker-content-digest'], complete: r.complete, body: hex(r.body) }).toEqual({
        status: 200,
        length: String(want.length),
        digest,
        complete: true,
        body: hex(want),
      });
    }
    await until('every blob file is closed', () => openBlobFiles(server.dataDir).length === 0);
  });

  it('a stalled client gets its own bytes while others pull more chunks than the registry keeps', async () => {
    const big = [...blobs.entries()].filter(([, d]) => d.length > 10 * chunkBytes);
    let others!: () => void;
    const othersDone = new Promise<void>((r) => (others = r));
    const stalled = big.map(([digest]) => pull(server.url, `/v2/${repo}/blobs/${digest}`, { authorization: auth }, undefined, othersDone));
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(big.map(([digest]) => pull(server.url, `/v2/${repo}/blobs/${digest}`, { authorization: auth })));
      results.forEach((r, i) => expect(hex(r.body)).toBe(hex(big[i]![1])));
    }
    others();
    const slow = await Promise.all(stalled);
    slow.forEach((r, i) => expect({ complete: r.complete, body: hex(r.body) }).toEqual({ complete: true, body: hex(big[i]![1]) }));
  });

  it('ranges across chunk boundaries, open-ended and suffix ranges answer 206 with exactly the slice', async () => {
    const [digest, data] = [...blobs.entries()].find(([, d]) => d.length === 4 * chunkBytes + 7)!;
    const size = data.length;
    const cases: Array<[string, number, number]> = [
      [`bytes=${chunkBytes - 10}-${chunkBytes + 10}`, chunkBytes - 10, chunkBytes + 10],
      [`bytes=${chunkBytes}-${3 * chunkBytes}`, chunkBytes, 3 * chunkBytes],
      [`bytes=${size - 3}-`, size - 3, size - 1],
      ['bytes=-100', size - 100, size - 1],
      [`bytes=5-${size + 1000}`, 5, size - 1],
    ];
    const results = await Promise.all(cases.map(([range]) => pull(server.url, `/v2/${repo}/blobs/${digest}`, { authorization: auth, range })));
    results.forEach((r, i) => {
      const [range, start, end] = cases[i]!;
      expect({ range, status: r.status, contentRange: r.headers['content-range'], length: r.headers['content-length'], body: hex(r.body) }).toEqual({
        range,
        status: 206,
        contentRange: `bytes ${start}-${end}/${size}`,
        length: String(end - start + 1),
        body: hex(data.subarray(start, end + 1)),
      });
    });
  });

  it('clients hanging up mid-body leave no open blob file, and pulls beside them get their bytes', async () => {
    const [digest, data] = [...blobs.entries()].find(([, d]) => d.length === 4 * chunkBytes + 7)!;
    const path = `/v2/${repo}/blobs/${digest}`;
    const hangUps = Array.from({ length: 6 }, () => pull(server.url, path, { authorization: auth }, 64 * 1024));
    const whole = Array.from({ length: 4 }, () => pull(server.url, path, { authorization: auth }));
    const cut = await Promise.all(hangUps);
    expect(cut.every((r) => !r.complete)).toBe(true);
    for (const r of await Promise.all(whole)) expect({ complete: r.complete, body: hex(r.body) }).toEqual({ complete: true, body: hex(data) });
    await until('every blob file is closed', () => openBlobFiles(server.dataDir).length === 0);
    const again = await pull(server.url, path, { authorization: auth });
    expect(hex(again.body)).toBe(hex(data));
  });

  it('a blob file shorter than its record cuts the body short; a missing one is 500 UNKNOWN; the server keeps serving', async () => {
    const short = randomBlob(3 * chunkBytes);
    const shortDigest = await pushBlob(server.url, auth, repo, short);
    const gone = randomBlob(2048);
    const goneDigest = await pushBlob(server.url, auth, repo, gone);
    const file = (digest: string) => join(server.dataDir, 'registry', 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7));
    truncateSync(file(shortDigest), chunkBytes + 5);
    rmSync(file(goneDigest));

    const cut = await pull(server.url, `/v2/${repo}/blobs/${shortDigest}`, { authorization: auth });
    expect({ status: cut.status, length: cut.headers['content-length'], complete: cut.complete, received: cut.body.length }).toEqual({ status: 200, length: String(short.length), complete: false, received: chunkBytes + 5 });
    expect(cut.body.equals(Buffer.from(short.subarray(0, chunkBytes + 5)))).toBe(true);

    const missing = await registryCall(server.url, { path: `/v2/${repo}/blobs/${goneDigest}`, auth });
    expect({ status: missing.status, code: registryErrorCode(missing) }).toEqual({ status: 500, code: 'UNKNOWN' });

    await until('every blob file is closed', () => openBlobFiles(server.dataDir).length === 0);
    const [digest, data] = [...blobs.entries()].find(([, d]) => d.length === chunkBytes + 1)!;
    const after = await pull(server.url, `/v2/${repo}/blobs/${digest}`, { authorization: auth });
    expect({ complete: after.complete, body: hex(after.body) }).toEqual({ complete: true, body: hex(data) });
  });
});
