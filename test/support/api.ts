/**
 * A small HTTP client for the API tests: raw control over method, headers and body, and the
 * answer as status, text and parsed JSON.
 */
import { errorCatalog } from '../../src/core/errors.js';

/** One request. `body` is sent as JSON; `rawBody` as is (with `contentType` if given). */
export interface ApiRequest {
  method?: string;
  path: string;
  token?: string | null;
  body?: unknown;
  rawBody?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

/** One answer. `json` is undefined when the body is not JSON. */
export interface ApiResponse {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

/** Sends a request to `baseUrl`. */
export async function call(baseUrl: string, req: ApiRequest): Promise<ApiResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  if (req.token) headers.authorization = `Bearer ${req.token}`;
  let body: string | Uint8Array | undefined;
  if (req.rawBody !== undefined) {
    body = req.rawBody;
    if (req.contentType) headers['content-type'] = req.contentType;
  } else if (req.body !== undefined) {
    body = JSON.stringify(req.body);
    headers['content-type'] = req.contentType ?? 'application/json';
  }
  const res = await fetch(`${baseUrl}${req.path}`, { method: req.method ?? 'GET', headers, body });
  const contentType = res.headers.get('content-type') ?? '';
  const text = contentType.startsWith('text/event-stream') ? await readEventStream(res, streamQuietMs) : await res.text();
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType, text, json };
}

/** How long an event stream may stay quiet before {@link call} stops reading it. */
const streamQuietMs = 300;

/**
 * An event stream's text until it ends or stays quiet for `quietMs`, then the connection is
 * dropped: a deployment's log ends by itself, a workspace's change stream never does.
 */
async function readEventStream(res: Response, quietMs: number): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const quiet = new Promise<'quiet'>((resolve) => (timer = setTimeout(() => resolve('quiet'), quietMs)));
    const next = await Promise.race([reader.read(), quiet]);
    clearTimeout(timer);
    if (next === 'quiet') {
      await reader.cancel();
      return text;
    }
    if (next.done) return text + decoder.decode();
    text += decoder.decode(next.value, { stream: true });
  }
}

/** A client bound to a server and a token. */
export interface Api {
  url: string;
  token: string;
  call(req: Omit<ApiRequest, 'token'> & { token?: string | null }): Promise<ApiResponse>;
  get(path: string): Promise<ApiResponse>;
  post(path: string, body?: unknown): Promise<ApiResponse>;
  put(path: string, body?: unknown): Promise<ApiResponse>;
  patch(path: string, body?: unknown): Promise<ApiResponse>;
  delete(path: string): Promise<ApiResponse>;
}

export function apiClient(url: string, token: string): Api {
  const send = (method: string, path: string, body?: unknown) => call(url, { method, path, token, body });
  return {
    url,
    token,
    call: (req) => call(url, { token, ...req }),
    get: (path) => send('GET', path),
    post: (path, body) => send('POST', path, body),
    put: (path, body) => send('PUT', path, body),
    patch: (path, body) => send('PATCH', path, body),
    delete: (path) => send('DELETE', path),
  };
}

/** Returns the JSON of a 2xx answer, or throws with the answer (for set-up steps). */
export function ok<T = Record<string, unknown>>(res: ApiResponse): T {
  if (res.status < 200 || res.status >= 300) throw new Error(`expected 2xx, got ${res.status}: ${res.text}`);
  return res.json as T;
}

/**
 * Checks that `res` is a Slipway error document, exactly `{ error: { code, message } }` with a
 * catalogued code, and returns the code; otherwise returns a description of what is wrong
 * (so a test can `expect(errorCode(r)).toBe('SLW_…')` and see the answer when it fails).
 */
export function errorCode(res: ApiResponse): string {
  const e = (res.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const shapeOk =
    res.contentType.includes('application/json') &&
    typeof res.json === 'object' &&
    res.json !== null &&
    Object.keys(res.json).length === 1 &&
    e !== undefined &&
    Object.keys(e).sort().join(',') === 'code,message' &&
    typeof e.code === 'string' &&
    typeof e.message === 'string' &&
    e.message.length > 0 &&
    !/\n\s+at /.test(e.message);
  if (!shapeOk) return `not an error document (HTTP ${res.status}, ${res.contentType}): ${res.text.slice(0, 300)}`;
  const code = e.code as string;
  if (!(code in errorCatalog)) return `uncatalogued code ${code}`;
  const status = errorCatalog[code as keyof typeof errorCatalog].status;
  if (status !== res.status) return `${code} answered with HTTP ${res.status}, catalogue says ${status}`;
  return code;
}
