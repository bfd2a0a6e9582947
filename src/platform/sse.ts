/**
 * The one server-sent events producer: writes a stream of events, read from an async iterable,
 * to a Node HTTP response. It owns everything the streams have in common: the headers, the
 * `retry:` advice, a comment line every 15 s so that proxies do not close an idle stream, an
 * abort signal that tells the source when the client went away, and ending every open stream
 * when the server stops ({@link SseStreams.endAll}). What a stream says is the source's business
 * (src/deploy/streams.ts); the wire format is read back by src/platform/sse-parse.ts.
 *
 * No HTTP framework here: a Fastify route hands over `reply.raw` after `reply.hijack()`.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';

/** One event: `data` is sent as JSON (one line, since JSON escapes line breaks). */
export interface SseMessage {
  /** The event id a client sends back as Last-Event-ID (omit for streams that cannot resume). */
  id?: string | number;
  event: string;
  data: unknown;
}

/** Makes the events of one stream; stops when `signal` aborts (client gone, server stopping). */
export type SseSource = (signal: AbortSignal) => AsyncIterable<SseMessage>;

export interface SseStreamOptions {
  /** Reconnection delay advised to the client (`retry:`), if any. */
  retryMs?: number;
}

const headers = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' };

/** Proxies commonly close a connection idle for 30–60 s; a comment every 15 s keeps it open. */
export const defaultPingMs = 15_000;

/** An event in the wire format. */
export function formatSse(message: SseMessage): string {
  const id = message.id === undefined ? '' : `id: ${message.id}\n`;
  return `${id}event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;
}

const aborted = Symbol('aborted');

/** Resolves with {@link aborted} once `signal` aborts. */
function whenAborted(signal: AbortSignal): Promise<typeof aborted> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(aborted);
    else signal.addEventListener('abort', () => resolve(aborted), { once: true });
  });
}

/** The open streams of one server: each is served by {@link SseStreams.serve}, all end on {@link SseStreams.endAll}. */
export class SseStreams {
  private readonly open = new Set<AbortController>();
  private stopping = false;

  constructor(private readonly pingMs = defaultPingMs) {}

  /** How many streams are open now. */
  get size(): number {
    return this.open.size;
  }

  /**
   * Writes the events of `source` to `res` until the source ends, the client goes away or the
   * server stops; then ends the response. Rejects with the source's error, after ending the response.
   */
  async serve(res: ServerResponse, source: SseSource, options: SseStreamOptions = {}): Promise<void> {
    const abort = new AbortController();
    const write = (text: string) => {
      if (!res.writableEnded && !res.destroyed) res.write(text);
    };
    const onClose = () => abort.abort();
    res.once('close', onClose);
    this.open.add(abort);
    if (this.stopping) abort.abort();
    res.writeHead(200, headers);
    // Headers go out now, not with the first event: the client knows at once that the stream is open.
    res.flushHeaders();
    if (options.retryMs !== undefined) write(`retry: ${options.retryMs}\n\n`);
    const ping = setInterval(() => write(': ping\n\n'), this.pingMs);
    const stop = whenAborted(abort.signal);
    const events = source(abort.signal)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await Promise.race([events.next(), stop]);
        if (next === aborted || next.done) break;
        write(formatSse(next.value));
      }
    } finally {
      clearInterval(ping);
      this.open.delete(abort);
      res.off('close', onClose);
      // Tells a source still waiting that nobody listens any more, then lets it clean up.
      abort.abort();
      events.return?.().catch(() => undefined);
      if (!res.writableEnded && !res.destroyed) res.end();
    }
  }

  /** Ends every open stream, and at once every stream that starts afterwards (the server stops). */
  endAll(): void {
    this.stopping = true;
    for (const abort of [...this.open]) abort.abort();
  }
}
