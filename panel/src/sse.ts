/**
 * Follows a server-sent events stream of the API with the signed-in token (EventSource cannot
 * send an Authorization header, so this reads the stream with fetch). After a network blip it
 * reconnects with Last-Event-ID, so a deploy log resumes exactly where it stopped; an `end`
 * event or stop() ends it. An API error (bad token, no access) is reported, not retried.
 */
import { ApiError } from './api';
import { readToken } from './session';
import { SseParser, type SseEvent } from '../../src/platform/sse-parse';

export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'ended';

export interface FollowHandlers {
  onEvent(event: SseEvent): void;
  onState?(state: StreamState): void;
  onError?(error: ApiError): void;
}

export function follow(url: string, handlers: FollowHandlers): () => void {
  const controller = new AbortController();
  let lastId: string | null = null;
  let stopped = false;
  let failures = 0;

  const run = async () => {
    while (!stopped) {
      handlers.onState?.(failures === 0 && lastId === null ? 'connecting' : 'reconnecting');
      let retryMs = 1000;
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        const token = readToken();
        if (token) headers.authorization = `Bearer ${token}`;
        if (lastId !== null) headers['last-event-id'] = lastId;
        const res = await fetch(`/api/v1/${url}`, { headers, signal: controller.signal, cache: 'no-store' });
        if (!res.ok) {
          const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
          const error = new ApiError(body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? `the server answered ${res.status}`, res.status);
          if (res.status < 500) {
            handlers.onError?.(error);
            stopped = true;
            break;
          }
          throw error;
        }
        failures = 0;
        handlers.onState?.('open');
        const parser = new SseParser();
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const event of parser.push(value)) {
            if (parser.lastId !== null) lastId = parser.lastId;
            handlers.onEvent(event);
            if (event.type === 'end') stopped = true;
          }
          if (stopped) {
            await reader.cancel().catch(() => undefined);
            break;
          }
        }
        retryMs = parser.retryMs ?? retryMs;
      } catch {
        if (stopped || controller.signal.aborted) break;
        failures += 1;
      }
      if (stopped) break;
      // The stream closed without its end (a network blip, a restarting server): reconnect.
      await new Promise((resolve) => setTimeout(resolve, Math.min(retryMs * Math.max(1, failures), 5000)));
    }
    handlers.onState?.('ended');
  };
  void run();
  return () => {
    stopped = true;
    controller.abort();
  };
}
