import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from './sse-parse.js';
import { formatSse, SseStreams, type SseSource, type SseStreamOptions } from './sse.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A real HTTP server whose one route serves `source` through `streams`; `served` settles when serve() does. */
async function serve(streams: SseStreams, source: SseSource, options?: SseStreamOptions) {
  let served!: Promise<void>;
  const server = createServer((_req, res) => {
    served = streams.serve(res, source, options);
    served.catch(() => undefined);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const abort = new AbortController();
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { signal: abort.signal });
  let text = '';
  const events: SseEvent[] = [];
  const parser = new SseParser();
  const read = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const part = decoder.decode(chunk, { stream: true });
        text += part;
        events.push(...parser.push(part));
      }
    } catch {
      // The client dropped the connection.
    }
  })();
  return { res, events, parser, text: () => text, read, served: () => served, close: () => abort.abort() };
}

/** Resolves once `check` holds (polled; the test's own timeout bounds it). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A source that yields nothing until its signal aborts, and says that it saw the abort. */
function idle(seen: { aborted: boolean }): SseSource {
  return async function* (signal) {
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    seen.aborted = true;
  };
}

describe('SseStreams', () => {
  it('writes the headers, the retry advice and each event, and ends with the source; the shared parser reads them back', async () => {
    const streams = new SseStreams();
    const s = await serve(
      streams,
      async function* () {
        yield { id: 1, event: 'log', data: { message: 'two\nlines', at: 'now' } };
        yield { event: 'end', data: { status: 'succeeded', error: null } };
      },
      { retryMs: 1000 },
    );
    await s.read;
    await s.served();
    expect(s.res.status).toBe(200);
    expect(s.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(s.res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(s.text()).toBe('retry: 1000\n\nid: 1\nevent: log\ndata: {"message":"two\\nlines","at":"now"}\n\nevent: end\ndata: {"status":"succeeded","error":null}\n\n');
    expect(s.events).toEqual([
      { type: 'log', id: '1', data: '{"message":"two\\nlines","at":"now"}' },
      { type: 'end', id: '1', data: '{"status":"succeeded","error":null}' },
    ]);
    expect(s.parser.retryMs).toBe(1000);
    expect(streams.size).toBe(0);
  });

  it('aborts the source when the client goes away', async () => {
    const streams = new SseStreams();
    const seen = { aborted: false };
    const s = await serve(streams, idle(seen));
    await until(() => streams.size === 1);
    s.close();
    await until(() => seen.aborted);
    await s.served();
    expect(streams.size).toBe(0);
  });

  it('pings an idle stream with a comment line', async () => {
    const streams = new SseStreams(20);
    const seen = { aborted: false };
    const s = await serve(streams, idle(seen));
    await until(() => s.text().includes(': ping\n\n'));
    expect(s.events).toEqual([]);
    s.close();
    await s.served();
  });

  it('endAll ends every open stream, and a stream that starts afterwards at once', async () => {
    const streams = new SseStreams();
    const first = { aborted: false };
    const second = { aborted: false };
    const a = await serve(streams, idle(first));
    const b = await serve(streams, idle(second));
    await until(() => streams.size === 2);
    streams.endAll();
    await Promise.all([a.read, b.read, a.served(), b.served()]);
    expect(first.aborted && second.aborted).toBe(true);
    const late = await serve(streams, async function* () {
      yield { event: 'never', data: null };
    });
    await late.read;
    expect(late.res.status).toBe(200);
    expect(late.text()).toBe('');
  });

  it("ends the response when the source fails, and rejects with the source's error", async () => {
    const streams = new SseStreams();
    const s = await serve(streams, async function* () {
      yield { event: 'log', data: 1 };
      throw new Error('store gone');
    });
    await s.read;
    await expect(s.served()).rejects.toThrow('store gone');
    expect(s.events).toEqual([{ type: 'log', id: null, data: '1' }]);
  });
});

describe('formatSse', () => {
  it('writes the id only when there is one', () => {
    expect(formatSse({ id: 7, event: 'log', data: { a: 1 } })).toBe('id: 7\nevent: log\ndata: {"a":1}\n\n');
    expect(formatSse({ event: 'end', data: null })).toBe('event: end\ndata: null\n\n');
  });
});
