/**
 * Following a deploy's server-sent events: prints each `log` event once, reconnects after a
 * network blip with `Last-Event-ID` (so nothing is lost or repeated), and returns the `end`
 * event's status.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import type { ApiClient } from './client.js';

export interface LogEvent {
  id: number;
  at: string;
  level: string;
  step: string;
  message: string;
}

export interface EndEvent {
  status: string;
  error: string | null;
}

export async function followEvents(client: ApiClient, path: string, onLog: (e: LogEvent) => void, options: { after?: number; maxRetries?: number } = {}): Promise<EndEvent> {
  let last = options.after ?? 0;
  let failures = 0;
  for (;;) {
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (last > 0) headers['last-event-id'] = String(last);
      const res = await client.stream(path, headers);
      failures = 0;
      for await (const event of sseEvents(res)) {
        if (event.event === 'end' && event.data) {
          res.destroy();
          return JSON.parse(event.data) as EndEvent;
        }
        if (event.event === 'log' && event.data) {
          const id = Number(event.id);
          if (id > last) {
            last = id;
            onLog({ id, ...(JSON.parse(event.data) as Omit<LogEvent, 'id'>) });
          }
        }
      }
      // The stream ended without an end event: the connection dropped; resume.
    } catch (error) {
      // An answer of the server (not found, forbidden) ends the command; a lost connection is retried.
      if (error instanceof SlipwayError && error.code !== 'SLW_SERVER_UNREACHABLE') throw error;
      failures += 1;
      if (failures > (options.maxRetries ?? 30)) throw new SlipwayError('SLW_SERVER_UNREACHABLE', `lost the event stream and could not reconnect: ${(error as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** failures)));
  }
}

/** Prints an environment's runtime output until the server ends the stream or the user stops. */
export async function followRuntime(client: ApiClient, path: string, onLine: (e: { replica: string; stream: string; line: string }) => void): Promise<{ replicas: number; reason: string } | undefined> {
  const res = await client.stream(path, { accept: 'text/event-stream' });
  for await (const event of sseEvents(res)) {
    if (event.event === 'log' && event.data) onLine(JSON.parse(event.data) as { replica: string; stream: string; line: string });
    if (event.event === 'end') {
      res.destroy();
      return event.data ? (JSON.parse(event.data) as { replicas: number; reason: string }) : undefined;
    }
  }
  return undefined;
}

/** The events of a `text/event-stream` body: one `{event, id, data}` per blank-line-ended block (comments skipped). */
async function* sseEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<{ event?: string; id?: string; data?: string }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const fields: { event?: string; id?: string; data?: string } = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const name = line.slice(0, colon);
        if (colon > 0 && (name === 'event' || name === 'id' || name === 'data')) fields[name] = line.slice(colon + 1).replace(/^ /, '');
      }
      yield fields;
    }
  }
}
