/**
 * Volume transfers' bookkeeping: a transfer is reached once, only by the server it was opened
 * for; one not started in time fails; an export whose reader gives up breaks the agent's upload
 * off instead of leaving it waiting; an import sends its tar.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startWithinMs, VolumeTransfers } from './transfers.js';

/** What the gateway's handler gets: the agent's request body, and a response that records its status and body. */
function response() {
  const out: { status: number | null; body: Buffer[] } = { status: null, body: [] };
  const res = new Writable({
    write(chunk: Buffer, _e, cb) {
      out.body.push(chunk);
      cb();
    },
  }) as Writable & { writeHead(status: number): Writable };
  res.writeHead = (status: number) => {
    out.status = status;
    return res;
  };
  return { res: res as unknown as ServerResponse, out };
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString();
}

describe('volume transfers', () => {
  afterEach(() => vi.useRealTimers());

  it("an export's upload reaches its reader; the id is refused to another server and a second time", async () => {
    const transfers = new VolumeTransfers();
    const t = transfers.expectUpload('srv_a');
    const upload = new PassThrough();
    await expect(transfers.receive(t.id, 'srv_b', upload as unknown as IncomingMessage, response().res)).rejects.toMatchObject({ code: 'SLW_NOT_FOUND' });
    const { res, out } = response();
    const received = transfers.receive(t.id, 'srv_a', upload as unknown as IncomingMessage, res);
    upload.end('the tar');
    expect(await collect(t.body)).toBe('the tar');
    await received;
    expect(out.status).toBe(204);
    await expect(transfers.receive(t.id, 'srv_a', new PassThrough() as unknown as IncomingMessage, response().res)).rejects.toMatchObject({ code: 'SLW_NOT_FOUND' });
    t.close();
    expect(transfers.size).toBe(0);
  });

  it("an import's tar goes to the server that downloads it", async () => {
    const transfers = new VolumeTransfers();
    const t = transfers.offerDownload('srv_a', (async function* () {
      yield Buffer.from('a ');
      yield Buffer.from('tar');
    })());
    const { res, out } = response();
    await transfers.send(t.id, 'srv_a', res);
    expect(out.status).toBe(200);
    expect(Buffer.concat(out.body).toString()).toBe('a tar');
    t.close();
  });

  it('fails a transfer the agent does not start in time', async () => {
    vi.useFakeTimers();
    const transfers = new VolumeTransfers();
    const t = transfers.expectUpload('srv_a');
    const reading = collect(t.body);
    const failed = expect(t.failed).rejects.toMatchObject({ code: 'SLW_SERVER_UNREACHABLE' });
    const read = expect(reading).rejects.toMatchObject({ code: 'SLW_SERVER_UNREACHABLE' });
    vi.advanceTimersByTime(startWithinMs + 1);
    await failed;
    await read;
    expect(transfers.size).toBe(0);
  });

  it("breaks the agent's upload off when the export's reader gives up", async () => {
    const transfers = new VolumeTransfers();
    const t = transfers.expectUpload('srv_a');
    const upload = new PassThrough();
    const received = transfers.receive(t.id, 'srv_a', upload as unknown as IncomingMessage, response().res);
    upload.write('part of it');
    t.close();
    await expect(received).rejects.toMatchObject({ code: 'SLW_INTERNAL' });
  });
});
