/**
 * Sending one generated request and reading its answer (an event stream only up to its
 * status: it never ends by itself), and waiting for the store to settle after a success.
 */
import { connect } from 'node:net';
import type { Snapshot } from './db-snapshot.js';
import type { FuzzRequest } from './fuzz-api.js';

/** An answer; status 0 when the client itself refused to send the request (e.g. a header with a NUL). */
export interface FuzzAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** Sends `req` to `baseUrl`; a broken connection is reported as HTTP 599 with its cause. */
export async function sendFuzz(baseUrl: string, req: FuzzRequest): Promise<FuzzAnswer> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${req.path}`, { method: req.method, headers: req.headers, body: req.body, redirect: 'manual', signal: AbortSignal.timeout(20_000) });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    // The client refused to send it (a header value it will not encode): nothing reached the server.
    if (e.message !== 'fetch failed' || e.cause?.code === 'UND_ERR_INVALID_ARG') return { status: 0, headers: new Headers(), text: e.cause?.message ?? e.message, json: undefined };
    return { status: 599, headers: new Headers(), text: `connection failed: ${e.cause?.code ?? ''} ${e.cause?.message ?? e.message}`, json: undefined };
  }
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, headers: res.headers, text: '', json: undefined };
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * A snapshot taken once two in a row agree: a successful request may leave work behind (a
 * deployment the engine fails, a config change that rolls a release), which must not be
 * blamed on the next, refused, request.
 */
export async function settle(snapshot: () => Promise<Snapshot>): Promise<Snapshot> {
  let last = await snapshot();
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await snapshot();
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  return last;
}

/** Writes `text` as is to the server's socket and resolves with everything it answers until it closes. */
export function rawHttp(baseUrl: string, text: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.end(text));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(e)));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.setTimeout(20_000, () => socket.destroy(new Error('no answer in 20 s')));
  });
}
