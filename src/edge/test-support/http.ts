/**
 * Test helpers for the edge: free loopback ports, tiny upstream servers that answer a fixed body
 * (at once, after a delay, or when the test lets them), and single requests through the proxy with
 * a given Host header.
 */
import { createServer as createHttpServer, request, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { freePort } from '../../../test/support/ports.js';

export { freePort };

/** An upstream answering `body` to every request. */
export interface Upstream {
  /** `127.0.0.1:PORT` (or `[::1]:PORT`). */
  address: string;
  server: Server;
  /** Requests it answered. */
  served(): number;
  /** Graceful close: stops accepting, closes idle connections, gives requests in flight 1 s. */
  close(): Promise<void>;
}

/** An upstream that holds every request until {@link HeldUpstream.release} is called. */
export interface HeldUpstream extends Upstream {
  /** Requests it holds right now. */
  held(): number;
  /** Answers every held request (and each later one at once). */
  release(): void;
}

/** Starts an upstream on a free loopback port that holds requests until the test releases them. */
export async function startHeldUpstream(body: string): Promise<HeldUpstream> {
  const waiting: Array<() => void> = [];
  let released = false;
  const upstream = await startUpstream(body, 0, (answer) => (released ? answer() : void waiting.push(answer)));
  return {
    ...upstream,
    held: () => waiting.length,
    release: () => {
      released = true;
      for (const answer of waiting.splice(0)) answer();
    },
  };
}

/**
 * Starts an upstream on a free loopback port (or `host`, e.g. `::1`); it answers after `delayMs`
 * (0 by default), or when `gate` calls the answer it is handed.
 */
export async function startUpstream(body: string, delayMs = 0, gate?: (answer: () => void) => void, host = '127.0.0.1'): Promise<Upstream> {
  let served = 0;
  const server = createHttpServer((_req, res) => {
    served += 1;
    const answer = () => res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    if (gate) gate(answer);
    else if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('upstream has no address');
  return {
    address: host.includes(':') ? `[${host}]:${address.port}` : `${host}:${address.port}`,
    server,
    served: () => served,
    // Node's close() closes the connections idle at that moment only, and never the spare ones
    // Caddy's transport opened without sending a request (they stay until Caddy's 2 min idle
    // timeout): sweep idle ones, then after 1 s close whatever is left.
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const force = setTimeout(() => server.closeAllConnections(), 1_000);
        server.once('close', () => {
          clearInterval(sweep);
          clearTimeout(force);
        });
        server.closeIdleConnections();
      }),
  };
}

/** One GET through the proxy (a fresh connection) with `Host: host`. */
export function proxyGet(proxy: string, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`http://${proxy}${path}`, { headers: { host }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A response with the headers a redirect test looks at. */
export interface Answer {
  status: number;
  body: string;
  location: string | undefined;
}

function answer(res: IncomingMessage, resolve: (a: Answer) => void, reject: (e: Error) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location: res.headers.location }));
  res.on('error', reject);
}

/** One plain HTTP GET to `address` (`HOST:PORT`) with `Host: host`, redirects not followed. */
export function plainGet(address: string, host: string, path = '/'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`http://${address}${path}`, { headers: { host }, agent: false }, (res) => answer(res, resolve, reject));
    req.on('error', reject);
    req.end();
  });
}

/**
 * One HTTPS GET to `address` (`HOST:PORT`) for `host` (SNI and Host header), trusting only `ca`:
 * the certificate must chain to it and cover `host`, or the request fails.
 */
export function secureGet(address: string, host: string, ca: string, path = '/'): Promise<Answer> {
  const colon = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)), path, servername: host, headers: { host }, ca, agent: false, timeout: 10_000 },
      (res) => answer(res, resolve, reject),
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `check` every 100 ms until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
