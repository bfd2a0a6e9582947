/**
 * HTTP/1.1 to the Docker engine over its unix socket (node:http with `socketPath`), under the
 * API version prefix. Parameters go in the query only when they are plain, non-secret values
 * (names, ids, filters, flags); bodies are JSON; credentials go only in headers. Nothing here
 * logs a request.
 *
 * @module
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DockerError, DockerUnavailableError } from './errors.js';

/** A value allowed in a query string: never a secret. */
export type QueryValue = string | number | boolean | undefined;

/** One request to the engine; `path` is relative to the version prefix, e.g. `/containers/json`. */
export interface DockerRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Encodes one path segment (a container id or name, or an image reference whose `/` stay). */
export function pathSegment(value: string): string {
  return encodeURIComponent(value).replace(/%2F/gi, '/');
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Reads a whole response body as text. */
export async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The engine's `{ "message": … }` out of an error body (or the text itself). */
export function engineMessage(text: string, statusCode: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string' && parsed.message) return parsed.message;
  } catch {
    /* not JSON: the text is the message */
  }
  return text.trim() || `HTTP ${statusCode}`;
}

/** Speaks to one engine; `open` gives the raw response, `call` a checked and parsed one. */
export class DockerTransport {
  constructor(
    readonly socketPath: string,
    readonly apiVersion: string,
  ) {}

  /** Sends the request; the response's status is not checked. */
  open(req: DockerRequest): Promise<IncomingMessage> {
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    if (body) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(body.length) });
    return new Promise((resolve, reject) => {
      const r = httpRequest(
        { socketPath: this.socketPath, method: req.method, path: `/${this.apiVersion}${req.path}${queryString(req.query)}`, headers, signal: req.signal, agent: false },
        resolve,
      );
      r.on('error', (error: NodeJS.ErrnoException) => reject(this.connectionError(error, req.signal)));
      r.end(body);
    });
  }

  /** Sends the request and parses the JSON answer; a status ≥ 400 not in `ok` throws {@link DockerError}. */
  async call<T>(req: DockerRequest, ok: number[] = []): Promise<{ status: number; body: T | undefined }> {
    const res = await this.open(req);
    const text = await readText(res);
    const status = res.statusCode ?? 0;
    if (status >= 400 && !ok.includes(status)) throw new DockerError(status, engineMessage(text, status), `${req.method} ${req.path}`);
    if (status >= 300 || !text.trim()) return { status, body: undefined };
    const type = String(res.headers['content-type'] ?? '');
    return { status, body: (type.includes('json') ? JSON.parse(text) : text) as T };
  }

  /** Sends `body` as the request's body, streamed (chunked) with this content type; a status ≥ 400 throws {@link DockerError}. */
  async upload(req: Omit<DockerRequest, 'body'>, body: AsyncIterable<Uint8Array>, contentType: string): Promise<void> {
    const headers = { ...(req.headers ?? {}), 'content-type': contentType };
    let r: ReturnType<typeof httpRequest> | undefined;
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      r = httpRequest({ socketPath: this.socketPath, method: req.method, path: `/${this.apiVersion}${req.path}${queryString(req.query)}`, headers, signal: req.signal, agent: false }, resolve);
      r.on('error', (error: NodeJS.ErrnoException) => reject(this.connectionError(error, req.signal)));
    });
    answered.catch(() => undefined);
    if (!r) throw new Error('no request');
    const sent = pipeline(Readable.from(body), r);
    sent.catch(() => undefined);
    let res: IncomingMessage;
    try {
      res = await answered;
    } catch (error) {
      // A body that failed to read (its source's error) tore the request down: that error is the cause.
      await sent;
      throw error;
    }
    // The engine may answer (an error) before it has read the whole body: its answer comes first.
    await this.assertOk(res, req);
    await readText(res);
    await sent;
  }

  /** Throws the {@link DockerError} a failed streaming response carries, after reading its body. */
  async assertOk(res: IncomingMessage, req: DockerRequest): Promise<void> {
    const status = res.statusCode ?? 0;
    if (status < 400) return;
    throw new DockerError(status, engineMessage(await readText(res), status), `${req.method} ${req.path}`);
  }

  /**
   * Opens a streamed response and decodes it; an abort of `req.signal` ends it quietly, and the
   * socket is closed however the consumer leaves.
   */
  async *stream<T>(req: DockerRequest, decode: (body: AsyncIterable<Buffer>) => AsyncIterable<T>): AsyncGenerator<T> {
    if (req.signal?.aborted) return;
    let res: IncomingMessage;
    try {
      res = await this.open(req);
    } catch (error) {
      if (req.signal?.aborted) return;
      throw error;
    }
    try {
      await this.assertOk(res, req);
      yield* decode(res);
    } catch (error) {
      if (!req.signal?.aborted) throw error;
    } finally {
      res.destroy();
    }
  }

  private connectionError(error: NodeJS.ErrnoException, signal: AbortSignal | undefined): Error {
    if (signal?.aborted) return error;
    switch (error.code) {
      case 'ENOENT':
      case 'ENOTSOCK':
        return new DockerUnavailableError(this.socketPath, 'missing', { cause: error });
      case 'ECONNREFUSED':
        return new DockerUnavailableError(this.socketPath, 'refused', { cause: error });
      case 'EACCES':
      case 'EPERM':
        return new DockerUnavailableError(this.socketPath, 'denied', { cause: error });
      case 'ECONNRESET':
      case 'EPIPE':
        return new DockerUnavailableError(this.socketPath, 'hung-up', { cause: error });
      default:
        return error;
    }
  }
}
