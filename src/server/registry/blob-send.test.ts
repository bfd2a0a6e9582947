import { randomBytes } from 'node:crypto';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobChunks, chunkBytes } from '../../registry/blob-chunks.js';
import type { BlobFile } from '../../registry/blob-store.js';
import { sendBlobBytes, type SendOutcome } from './blob-send.js';

const data = randomBytes(2 * chunkBytes + 123);

/** A file over `data` (cut to `length`) that gives at most `most` bytes a read (as a real file may), or fails at `failAt`. */
function fileOf(most: number, failAt = Number.POSITIVE_INFINITY, cut = data.length): BlobFile & { closed: boolean } {
  const file = {
    closed: false,
    read: async (buffer: Buffer, length: number, position: number) => {
      if (position >= failAt) throw new Error('EIO: the disk went away');
      return data.copy(buffer, 0, Math.min(position, cut), Math.min(position + Math.min(length, most), cut));
    },
    close: async () => {
      file.closed = true;
    },
  };
  return file;
}

describe('sendBlobBytes', () => {
  let server: Server;
  let url: string;
  let file: ReturnType<typeof fileOf>;
  let outcome: Promise<SendOutcome>;
  const chunks = new BlobChunks();
  /** Each test its own blob: chunks are shared by digest. */
  let digest: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const [start, end] = (req.url ?? '').slice(1).split('-').map(Number) as [number, number];
      res.writeHead(200, { 'content-length': end - start });
      outcome = sendBlobBytes(res, chunks, file, { digest, size: data.length, start, end });
      outcome.catch(() => undefined);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  function fetchBytes(start: number, end: number): Promise<{ body: Buffer; complete: boolean }> {
    return new Promise((done, fail) => {
      get(`${url}/${start}-${end}`, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('error', () => undefined);
        res.on('close', () => done({ body: Buffer.concat(parts), complete: res.complete }));
      }).on('error', fail);
    });
  }

  it('sends exactly the asked bytes when reads come back shorter than asked, and closes the file', async () => {
    digest = `sha256:${'1'.repeat(64)}`;
    file = fileOf(1000);
    const got = await fetchBytes(7, data.length);
    expect({ complete: got.complete, same: got.body.equals(data.subarray(7)), outcome: await outcome, closed: file.closed }).toEqual({ complete: true, same: true, outcome: 'sent', closed: true });
    const slice = await fetchBytes(chunkBytes - 3, chunkBytes + 3);
    expect({ same: slice.body.equals(data.subarray(chunkBytes - 3, chunkBytes + 3)), outcome: await outcome, held: chunks.stats().held }).toEqual({ same: true, outcome: 'sent', held: 0 });
  });

  it('a file ending early cuts the body short after the bytes it has, and says so', async () => {
    digest = `sha256:${'2'.repeat(64)}`;
    file = fileOf(chunkBytes, Number.POSITIVE_INFINITY, chunkBytes + 500);
    const got = await fetchBytes(0, data.length);
    expect({ complete: got.complete, same: got.body.equals(data.subarray(0, chunkBytes + 500)), outcome: await outcome, closed: file.closed, held: chunks.stats().held }).toEqual({
      complete: false,
      same: true,
      outcome: 'file-short',
      closed: true,
      held: 0,
    });
  });

  it('a read error cuts the body short after the bytes already read, and rejects with it', async () => {
    digest = `sha256:${'3'.repeat(64)}`;
    file = fileOf(chunkBytes, chunkBytes);
    const got = await fetchBytes(0, data.length);
    await expect(outcome).rejects.toThrow('EIO');
    expect({ complete: got.complete, length: got.body.length, closed: file.closed, held: chunks.stats().held }).toEqual({ complete: false, length: chunkBytes, closed: true, held: 0 });
  });
});
