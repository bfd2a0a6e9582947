/**
 * The CLI's API client: bearer token, JSON in and out, and API errors turned back into
 * SlipwayErrors with the server's code and message.
 *
 * @module
 */
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { SlipwayError, errorCatalog, type ErrorCode } from '../core/errors.js';

/** Where and as whom the CLI talks. */
export interface ClientOptions {
  server: string;
  token: string | undefined;
}

/** A thin typed wrapper over fetch. */
export interface ApiClient {
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** POSTs a file as application/octet-stream, reporting bytes sent. */
  upload<T>(path: string, file: string, onProgress: (sent: number, total: number) => void): Promise<T>;
}

/** Joins path segments, encoding each one. */
export function apiPath(...segments: Array<string | number>): string {
  return `/api/v1/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
}

/** Creates a client; the token is checked when a request needs it. */
export function createClient(options: ClientOptions): ApiClient {
  const base = options.server.replace(/\/+$/, '');
  const send = async <T>(method: string, path: string, contentType: string | undefined, body: RequestInit['body'], extra: RequestInit = {}): Promise<T> => {
    if (!options.token) {
      throw new SlipwayError('SLW_USAGE', 'no API token: pass --token or set SLIPWAY_TOKEN (the first admin token is in <data-dir>/admin-token, e.g. .slipway/admin-token)');
    }
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: 'application/json', ...(extra.headers as Record<string, string> | undefined) };
    if (contentType !== undefined) headers['content-type'] = contentType;
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, { ...extra, method, headers, body });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code === 'ECONNREFUSED' ? 'connection refused' : cause?.message ?? (error as Error).message;
      throw new SlipwayError('SLW_SERVER_UNREACHABLE', `cannot reach the Slipway server at ${base} (${why}); start it with 'slipway server' or pass --server`, { cause: error });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      throw new SlipwayError('SLW_BAD_RESPONSE', `${base} answered HTTP ${response.status} with something that is not JSON; is --server a Slipway server?`);
    }
    if (!response.ok) throw apiError(response.status, parsed, base);
    return parsed as T;
  };
  return {
    request: <T>(method: string, path: string, body?: unknown) => send<T>(method, path, body === undefined ? undefined : 'application/json', body === undefined ? undefined : JSON.stringify(body)),
    async upload<T>(path: string, file: string, onProgress: (sent: number, total: number) => void): Promise<T> {
      const total = statSync(file).size;
      let sent = 0;
      const stream = Readable.toWeb(createReadStream(file, { highWaterMark: 1024 * 1024 })).pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            sent += chunk.byteLength;
            onProgress(sent, total);
            controller.enqueue(chunk);
          },
        }),
      );
      // Node's fetch streams a ReadableStream body with duplex 'half'; the length lets the server refuse early.
      const init = { duplex: 'half', headers: { 'content-length': String(total) } } as RequestInit;
      return send<T>('POST', path, 'application/octet-stream', stream as unknown as RequestInit['body'], init);
    },
  };
}

function apiError(status: number, body: unknown, base: string): SlipwayError {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    const code: ErrorCode = e.code in errorCatalog ? (e.code as ErrorCode) : 'SLW_BAD_RESPONSE';
    return new SlipwayError(code, e.message);
  }
  return new SlipwayError('SLW_BAD_RESPONSE', `${base} answered HTTP ${status} without a Slipway error body`);
}
