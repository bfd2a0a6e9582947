/**
 * The CLI's API client: bearer token, JSON in and out, and API errors turned back into
 * SlipwayErrors with the server's code and message.
 *
 * It speaks HTTP through node:http(s) with one keep-alive agent per command, not through the
 * global `fetch`: the first `fetch` of a process loads Node's bundled undici (~60 ms here), and
 * undici's global dispatcher keeps an idle connection referenced after the answer, so a command
 * that made one call waited ~0.15–0.25 s for nothing before exiting (issue 16). The agent reuses
 * its connection within a command, unrefs idle sockets, and {@link ApiClient.close} (called when
 * the command ends) destroys them.
 *
 * @module
 */
import { statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Agent, ClientRequest, IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';
import { SlipwayError, errorCatalog, type ErrorCode } from '../core/errors.js';

/** Where and as whom the CLI talks. */
export interface ClientOptions {
  server: string;
  token: string | undefined;
  /** Said when the token is missing: how to give one. */
  missingToken?: string;
  /** How long a call waits for a server that says it is still starting (default {@link startingWaitMs}). */
  startingWaitMs?: number;
}

/** A thin typed HTTP client. */
export interface ApiClient {
  readonly server: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** POSTs a file as application/octet-stream, reporting bytes sent. */
  upload<T>(path: string, file: string, onProgress: (sent: number, total: number) => void): Promise<T>;
  /** POSTs a stream of unknown length (chunked) as application/octet-stream, reporting bytes sent; stops sending once the server answers. */
  uploadStream<T>(path: string, source: AsyncIterable<Uint8Array>, onProgress: (sent: number) => void): Promise<T>;
  /** A GET whose body the caller reads as it arrives (server-sent events); fails on a non-2xx answer. */
  stream(path: string, headers?: Record<string, string>): Promise<IncomingMessage>;
  /** Closes the kept-alive connections (the process then exits as soon as its output is written). */
  close(): void;
}

/** Joins path segments, encoding each one. */
export function apiPath(...segments: Array<string | number>): string {
  return `/api/v1/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
}

const defaultMissingToken = 'no API token: run `slipway login`, pass --token or set SLIPWAY_TOKEN (the first admin token is in <data-dir>/admin-token, e.g. .slipway/admin-token)';

type Transport = { request: (url: URL, options: RequestOptions) => ClientRequest; agent: Agent };

/** Creates a client; the token is checked when a request needs it. */
export function createClient(options: ClientOptions): ApiClient {
  const base = options.server.replace(/\/+$/, '');
  const waitMs = options.startingWaitMs ?? startingWaitMs;
  let transport: Transport | undefined;

  const open = async (): Promise<Transport> => {
    if (transport) return transport;
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      throw new SlipwayError('SLW_USAGE', `server URL '${base}' is not a URL: pass --server http://HOST:PORT`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SlipwayError('SLW_USAGE', `server URL '${base}' must start with http:// or https://`);
    const mod = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    transport = { request: (u, o) => mod.request(u, o), agent: new mod.Agent({ keepAlive: true, maxSockets: 4 }) };
    return transport;
  };

  const unreachable = (error: unknown): SlipwayError => {
    const code = (error as { code?: string }).code;
    const why = code === 'ECONNREFUSED' ? 'connection refused' : (error as Error).message;
    return new SlipwayError('SLW_SERVER_UNREACHABLE', `cannot reach the Slipway server at ${base} (${why}); start it with 'slipway server' or pass --server`, { cause: error });
  };

  /** Sends one request; `write` sends the body (default: none). Resolves with the response head. */
  const send = async (method: string, path: string, headers: OutgoingHttpHeaders, write: (req: ClientRequest) => void = (req) => req.end()): Promise<IncomingMessage> => {
    if (!options.token) throw new SlipwayError('SLW_USAGE', options.missingToken ?? defaultMissingToken);
    const t = await open();
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = t.request(new URL(`${base}${path}`), { method, agent: t.agent, headers: { authorization: `Bearer ${options.token}`, accept: 'application/json', ...headers } });
      req.once('response', resolve);
      // After the answer came, a late write error (the server refused an upload early) changes nothing.
      req.on('error', (error) => reject(unreachable(error)));
      write(req);
    });
  };

  const readJson = async <T>(res: IncomingMessage): Promise<T> => {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of res) chunks.push(chunk as Buffer);
    } catch (error) {
      throw unreachable(error);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    let parsed: unknown;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      throw new SlipwayError('SLW_BAD_RESPONSE', `${base} answered HTTP ${status} with something that is not JSON; is --server a Slipway server?`);
    }
    if (status < 200 || status > 299) throw apiError(status, parsed, base);
    return parsed as T;
  };

  return {
    server: base,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      if (body === undefined) return whileStarting(waitMs, async () => readJson<T>(await send(method, path, {})));
      const payload = Buffer.from(JSON.stringify(body), 'utf8');
      return whileStarting(waitMs, async () => readJson<T>(await send(method, path, { 'content-type': 'application/json', 'content-length': payload.byteLength }, (req) => req.end(payload))));
    },
    async upload<T>(path: string, file: string, onProgress: (sent: number, total: number) => void): Promise<T> {
      const total = statSync(file).size;
      // Imported here: node:fs/promises loads ~10 of Node's own modules (readline among them) that
      // only an upload needs.
      const { open: openFile } = await import('node:fs/promises');
      const handle = await openFile(file, 'r');
      let answered = false;
      try {
        // The length lets the server refuse early; a refusal answered mid-upload stops the sending.
        const res = await send('POST', path, { 'content-type': 'application/octet-stream', 'content-length': total }, (req) => {
          req.once('response', () => (answered = true));
          sendFile(handle, req, total, onProgress, () => answered).catch((error: unknown) => req.destroy(error as Error));
        });
        answered = true;
        return await readJson<T>(res);
      } finally {
        answered = true;
        await handle.close();
      }
    },
    async uploadStream<T>(path: string, source: AsyncIterable<Uint8Array>, onProgress: (sent: number) => void): Promise<T> {
      let answered = false;
      // No length: the body goes chunked; a refusal answered mid-way stops the sending.
      const res = await send('POST', path, { 'content-type': 'application/octet-stream' }, (req) => {
        req.once('response', () => (answered = true));
        sendStream(source, req, onProgress, () => answered).catch((error: unknown) => req.destroy(error as Error));
      });
      answered = true;
      return readJson<T>(res);
    },
    async stream(path: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
      return whileStarting(waitMs, async () => {
        const res = await send('GET', path, headers);
        if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) <= 299) return res;
        return readJson<never>(res);
      });
    },
    close(): void {
      transport?.agent.destroy();
    },
  };
}

/** How long a request waits for a server that is still starting (SLW_STARTING) before it says so. */
export const startingWaitMs = 30_000;

/**
 * Runs `attempt` again, a second apart, while the server answers SLW_STARTING (it listens before
 * its deploy engine is up, and refuses the API until then without doing anything), for up to
 * {@link startingWaitMs}: a script that starts the server and runs a command at once just works.
 */
async function whileStarting<T>(waitMs: number, attempt: () => Promise<T>, pauseMs = 1000): Promise<T> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof SlipwayError) || error.code !== 'SLW_STARTING' || Date.now() + pauseMs > until) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

/**
 * Sends a file as the request body through two reused 1 MiB buffers, each written only after
 * the previous write of it was flushed: a read stream allocates a buffer per chunk, which for
 * a 50 MB artifact cost ~0.3 s of CPU in page faults and GC on the client (bench/build.ts).
 */
async function sendFile(handle: FileHandle, req: ClientRequest, total: number, onProgress: (sent: number, total: number) => void, stop: () => boolean): Promise<void> {
  const buffers = [Buffer.allocUnsafe(1024 * 1024), Buffer.allocUnsafe(1024 * 1024)];
  const flushed: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  let sent = 0;
  for (let i = 0; sent < total && !stop(); i = 1 - i) {
    await flushed[i];
    const buffer = buffers[i]!;
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, total - sent), null);
    if (bytesRead === 0 || stop()) break;
    flushed[i] = new Promise<void>((done, fail) => req.write(buffer.subarray(0, bytesRead), (error) => (error ? fail(error) : done())));
    flushed[i]!.catch(() => undefined);
    sent += bytesRead;
    onProgress(sent, total);
  }
  await Promise.all(flushed);
  if (!stop()) req.end();
}

/** Until the request takes more (or is gone: an answer came and the connection closed). */
function drained(req: ClientRequest): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      req.off('drain', done);
      req.off('close', done);
      resolve();
    };
    req.on('drain', done);
    req.on('close', done);
  });
}

/** Sends a stream as the request body, each chunk after the previous one was taken (back-pressure), until it ends or `stop()`. */
async function sendStream(source: AsyncIterable<Uint8Array>, req: ClientRequest, onProgress: (sent: number) => void, stop: () => boolean): Promise<void> {
  let sent = 0;
  for await (const chunk of source) {
    if (stop()) return;
    if (!req.write(chunk)) await drained(req);
    sent += chunk.length;
    onProgress(sent);
  }
  if (!stop()) req.end();
}

function apiError(status: number, body: unknown, base: string): SlipwayError {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    const code: ErrorCode = e.code in errorCatalog ? (e.code as ErrorCode) : 'SLW_BAD_RESPONSE';
    return new SlipwayError(code, e.message);
  }
  return new SlipwayError('SLW_BAD_RESPONSE', `${base} answered HTTP ${status} without a Slipway error body`);
}
