/**
 * One request to Caddy's admin API over its unix socket (node:http with `socketPath`), on a fresh
 * connection each time.
 *
 * Fresh connections on purpose: Caddy may restart its admin listener on a config change, so a
 * kept-alive connection could be closed under the client right after a change and the next request
 * on it would fail. Admin calls are rare; a connect on a unix socket costs well under a millisecond.
 *
 * The `Host` header is sent empty: for a unix socket listener Caddy allows only the empty host
 * (any other answers 403 "host not allowed"), and node's default would be `localhost`.
 *
 * @module
 */
import { request } from 'node:http';
import type { Json } from './caddy-config.js';

/** A failed admin API call: `status` is the HTTP status, or 0 when Caddy could not be reached. */
export class CaddyAdminError extends Error {
  readonly status: number;

  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CaddyAdminError';
    this.status = status;
  }

  /** True when Caddy did not answer at all (not running, or still starting). */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

/** What an admin call returned: its status and its body parsed as JSON (null when empty). */
export interface AdminResponse {
  status: number;
  body: Json;
}

function parseBody(text: string): Json {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

function errorText(body: Json): string {
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && typeof body.error === 'string') return body.error;
  return typeof body === 'string' ? body.trim() : JSON.stringify(body);
}

/**
 * Sends one request; resolves with any status in `okStatuses` (2xx always counts), throws a
 * {@link CaddyAdminError} for the others and for network errors and timeouts.
 */
export function adminRequest(
  socketPath: string,
  method: string,
  path: string,
  options: { body?: Json; timeoutMs: number; okStatuses?: number[] },
): Promise<AdminResponse> {
  const url = new URL(path, 'http://caddy-admin');
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  const headers: Record<string, string> = { host: '', connection: 'close' };
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  return new Promise<AdminResponse>((resolve, reject) => {
    const target = { socketPath, path: `${url.pathname}${url.search}`, setHost: false };
    const req = request({ ...target, method, headers, agent: false, timeout: options.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (cause) => reject(new CaddyAdminError(0, `caddy admin ${method} ${url.pathname}: ${cause.message}`, { cause })));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const body = parseBody(Buffer.concat(chunks).toString('utf8'));
        if ((status >= 200 && status < 300) || options.okStatuses?.includes(status)) resolve({ status, body });
        else reject(new CaddyAdminError(status, `caddy admin ${method} ${url.pathname} answered ${status}: ${errorText(body)}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', (cause) => reject(new CaddyAdminError(0, `caddy admin at unix socket ${socketPath} unreachable (${method} ${url.pathname}): ${cause.message}`, { cause })));
    req.end(payload);
  });
}
