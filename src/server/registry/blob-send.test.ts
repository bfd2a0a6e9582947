import { randomBytes } from 'node:crypto';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobFile } from '../../registry/blob-store.js';
import { chunkBytes, sendBlobBytes, type SendOutcome } from './blob-send.js';

const data = randomBytes(2 * chunkBytes + 123);

/** A file over `data` that gives at most `most` bytes a read (as a real file may), or fails at `failAt`. */
function fileOf(most: number, failAt = Number.POSITIVE_INFINITY): BlobFile & { closed: boolean } {
  const file = {
    closed: false,
    read: async (buffer: Buffer, length: number, position: number) => {
      if (position >= failAt) throw new Error('EIO: the disk went away');
      return data.copy(buffer, 0, position, Math.min(position + Math.min(length, most), data.length));
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

  beforeAll(async () => {
    server = createServer((req, res) => {
      const [start, end] = (req.url ?? '').slice(1).split('-').map(Number) as [number, number];
      res.writeHead(200, { 'content-length': end - start });
      outcome = sendBlobBytes(res, file, start, end);
      outcome.catch(() => undefined);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  function fetchBytes(start: number, end: number): Promise<{ body: Buffer; complete: boolean }> {
    return new Promise((done, fail) => {
      get(`${url}/${start}-${end}`, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => undefined);
        res.on('close', () => done({ body: Buffer.concat(chunks), complete: res.complete }));
      }).on('error', fail);
    });
  }

  it('sends exactly the asked bytes when reads come back shorter than asked, and closes the file', async () => {
    file = fileOf(1000);
    const got = await fetchBytes(7, data.length);
    expect({ complete: got.complete, same: got.body.equals(data.subarray(7)), outcome: await outcome, closed: file.closed }).toEqual({ complete: true, same: true, outcome: 'sent', closed: true });
  });

  it('a file ending early cuts the body short and says so', async () => {
    file = fileOf(chunkBytes);
    const got = await fetchBytes(chunkBytes, data.length + 50);
    expect({ complete: got.complete, length: got.body.length, outcome: await outcome, closed: file.closed }).toEqual({ complete: false, length: data.length - chunkBytes, outcome: 'file-short', closed: true });
  });

  it('a read error cuts the body short and rejects with it', async () => {
    file = fileOf(chunkBytes, chunkBytes);
    const got = await fetchBytes(0, data.length);
    await expect(outcome).rejects.toThrow('EIO');
    expect({ complete: got.complete, length: got.body.length, closed: file.closed }).toEqual({ complete: false, length: chunkBytes, closed: true });
  });
});
