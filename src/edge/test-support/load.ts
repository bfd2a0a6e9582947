/**
 * A bounded load generator for the zero-downtime tests: GETs at a fixed rate through keep-alive
 * connections (at most `maxConcurrent` in flight, like a browser fleet behind a few sockets),
 * recording every request's start time, status, body or error.
 *
 * Like browsers, curl and Go's HTTP client (RFC 9112 §9.3.1), it resends a GET once when it was
 * written to a kept-alive connection that the server closed before answering: an HTTP/1.1 server
 * that closes idle connections (Caddy does on every config reload) always races with a client
 * that starts a request on one at that instant. Node's http client does not do this by itself.
 * Such resends are counted (`resent`), never hidden.
 */
import { Agent, request } from 'node:http';

/** One request of a load run. */
export interface LoadSample {
  /** ms since the run began. */
  startedAt: number;
  finishedAt: number;
  status?: number;
  body?: string;
  error?: string;
  /** True when the (last) attempt went out on a kept-alive socket an earlier request had used. */
  reusedSocket: boolean;
  /** True when the first attempt died on a reused connection before any answer and was resent. */
  resent: boolean;
}

export interface LoadOptions {
  proxy: string;
  host: string;
  ratePerSecond: number;
  durationMs: number;
  maxConcurrent: number;
  /** Keep connections alive between requests (default true); false opens one per request. */
  keepAlive?: boolean;
}

/** Runs the load to the end and returns every sample, in start order. */
export async function runLoad(options: LoadOptions): Promise<LoadSample[]> {
  const agent = new Agent({ keepAlive: options.keepAlive ?? true, maxSockets: options.maxConcurrent });
  const samples: LoadSample[] = [];
  const pending = new Set<Promise<void>>();
  const began = performance.now();
  const total = Math.round((options.ratePerSecond * options.durationMs) / 1000);
  let launched = 0;
  while (launched < total) {
    const elapsed = performance.now() - began;
    const due = Math.min(total, Math.floor((elapsed * options.ratePerSecond) / 1000) + 1);
    while (launched < due && pending.size < options.maxConcurrent) {
      launched += 1;
      const run = one(agent, options, began).then((sample) => void samples.push(sample));
      pending.add(run);
      void run.finally(() => pending.delete(run));
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(pending);
  agent.destroy();
  return samples.sort((a, b) => a.startedAt - b.startedAt);
}

async function one(agent: Agent, options: LoadOptions, began: number): Promise<LoadSample> {
  const startedAt = performance.now() - began;
  const first = await attempt(agent, options, began, startedAt, false);
  return first.resendable ? (await attempt(agent, options, began, startedAt, true)).sample : first.sample;
}

/** Errors of a connection the server closed (or reset) under a request it never read. */
const CLOSED_UNDER_US = new Set(['ECONNRESET', 'EPIPE']);

function attempt(
  agent: Agent,
  options: LoadOptions,
  began: number,
  startedAt: number,
  resent: boolean,
): Promise<{ sample: LoadSample; resendable: boolean }> {
  return new Promise((resolve) => {
    let responded = false;
    const finish = (fields: { status?: number; body?: string; error?: string }, resendable = false) =>
      resolve({ sample: { startedAt, finishedAt: performance.now() - began, reusedSocket: req.reusedSocket, resent, ...fields }, resendable });
    // A resend goes out on a new connection (RFC 9112 §9.3.1), not on another pooled one that may
    // be closing for the same reason.
    const req = request(`http://${options.proxy}/`, { agent: resent ? false : agent, headers: { host: options.host }, timeout: 10_000 }, (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => finish({ error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      const resendable = !resent && !responded && req.reusedSocket && CLOSED_UNDER_US.has(error.code ?? '');
      finish({ error: `${error.code ?? ''} ${error.message}` }, resendable);
    });
    req.end();
  });
}
