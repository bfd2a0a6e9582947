/**
 * The panel's only way to the server: the public API under /api/v1 with the signed-in token as
 * a bearer token. Every failure becomes an ApiError with the API's own code and message, so the
 * views show them as they are.
 */
import { readToken } from './session';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | undefined>;

/** Joins path segments, each percent-encoded (names are validated server-side, but never trusted here). */
export function path(...segments: (string | number)[]): string {
  return segments.map((s, i) => (i === 0 ? String(s) : encodeURIComponent(String(s)))).join('/');
}

/**
 * Calls the API; while the server is still starting (SLW_STARTING: it refused the call without
 * doing anything) the call is made again a second apart, for up to 30 s.
 */
export async function api<T>(method: string, url: string, body?: unknown, query?: Query, token = readToken()): Promise<T> {
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      return await apiOnce<T>(method, url, body, query, token);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'SLW_STARTING' || Date.now() + 1000 > until) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function apiOnce<T>(method: string, url: string, body: unknown, query: Query | undefined, token: string | null): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') qs.set(k, String(v));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1/${url}${qs.size ? `?${qs}` : ''}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError('SLW_NETWORK', 'the Slipway server does not answer; check that it runs and try again', 0);
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError('SLW_BAD_RESPONSE', `the server answered ${res.status} with something other than JSON`, res.status);
  }
  if (!res.ok) throw refusal(data, res.status);
  return data as T;
}

/** The API's error body ({error: {code, message}}) as an ApiError. */
function refusal(data: unknown, status: number): ApiError {
  const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
  return new ApiError(error?.code ?? `HTTP_${status}`, error?.message ?? `the server answered ${status}`, status);
}

/**
 * GETs a file (a backup's tar) with the bearer token, as a Blob, with the response's headers: the
 * caller saves it through an object URL (a plain link would send no token). A refusal is the
 * API's JSON error, as for {@link api}.
 */
export async function download(url: string, token = readToken()): Promise<{ blob: Blob; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(`/api/v1/${url}`, { headers });
  } catch {
    throw new ApiError('SLW_NETWORK', 'the Slipway server does not answer; check that it runs and try again', 0);
  }
  if (!res.ok) {
    const text = await res.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      // Not the API's JSON error: the status says it.
    }
    throw refusal(data, res.status);
  }
  try {
    return { blob: await res.blob(), headers: res.headers };
  } catch {
    throw new ApiError('SLW_NETWORK', 'the download stopped before its end; try again', 0);
  }
}

export const get = <T>(url: string, query?: Query) => api<T>('GET', url, undefined, query);
export const post = <T>(url: string, body?: unknown, query?: Query) => api<T>('POST', url, body, query);
export const patch = <T>(url: string, body: unknown, query?: Query) => api<T>('PATCH', url, body, query);
export const put = <T>(url: string, body: unknown, query?: Query) => api<T>('PUT', url, body, query);
export const del = <T>(url: string, query?: Query) => api<T>('DELETE', url, undefined, query);

/**
 * POSTs a file as the raw body (`application/octet-stream`), reporting the bytes sent: the
 * upload of `slipway build`. XMLHttpRequest, because fetch reports no upload progress.
 */
export function upload<T>(url: string, file: Blob, query: Query, onProgress: (sent: number, total: number) => void, token = readToken()): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, String(v));
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/${url}${qs.size ? `?${qs}` : ''}`);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError('SLW_NETWORK', 'the upload did not reach the Slipway server; check that it runs and try again', 0));
    xhr.onload = () => {
      let data: unknown = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        reject(new ApiError('SLW_BAD_RESPONSE', `the server answered ${xhr.status} with something other than JSON`, xhr.status));
        return;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data as T);
        return;
      }
      const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
      reject(new ApiError(error?.code ?? `HTTP_${xhr.status}`, error?.message ?? `the server answered ${xhr.status}`, xhr.status));
    };
    xhr.send(file);
  });
}
