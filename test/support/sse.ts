/**
 * Following a server-sent events stream in a test: the events as they arrive, parsed by the
 * parser the CLI and the panel use (src/platform/sse-parse.ts), and a wait for the ones a test
 * expects (with a deadline, so a missing event fails instead of hanging).
 */
import { SseParser } from '../../src/platform/sse-parse.js';

/** One event: its `id`, `event` and `data` fields (comments are kept apart). */
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** An open stream. `status` and `contentType` are the answer's; a non-200 answer has `text` and no events. */
export interface Followed {
  status: number;
  contentType: string;
  events: SseEvent[];
  /** Everything received so far, as text. */
  text(): string;
  /** Resolves with the events once `done(events)` holds; rejects after `timeoutMs`. */
  until(done: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  /** Whether the server ended the stream. */
  ended(): boolean;
  /** Drops the connection. */
  close(): void;
}


/** Opens `path` on `baseUrl` as an event stream with `token`, and reads it in the background. */
export async function followStream(baseUrl: string, path: string, token: string): Promise<Followed> {
  const abort = new AbortController();
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: abort.signal });
  const contentType = res.headers.get('content-type') ?? '';
  const events: SseEvent[] = [];
  let text = '';
  let ended = false;
  if (!contentType.startsWith('text/event-stream')) {
    text = await res.text();
    ended = true;
  } else {
    void (async () => {
      const decoder = new TextDecoder();
      const parser = new SseParser();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          const part = decoder.decode(chunk, { stream: true });
          text += part;
          for (const e of parser.push(part)) events.push({ event: e.type, data: e.data, ...(e.id === null ? {} : { id: e.id }) });
        }
      } catch {
        // Aborted by close().
      }
      ended = true;
    })();
  }
  return {
    status: res.status,
    contentType,
    events,
    text: () => text,
    ended: () => ended,
    close: () => abort.abort(),
    until: async (done, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!done(events)) {
        if (Date.now() > deadline) throw new Error(`the stream did not deliver the expected events within ${timeoutMs} ms; it sent:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return events;
    },
  };
}
