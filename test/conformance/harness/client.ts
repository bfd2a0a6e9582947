/**
 * The conformance harness's HTTP client: Node's global fetch, plus the Docker token flow.
 *
 * Requests go out without credentials first. A `401` with `WWW-Authenticate: Bearer realm=…,
 * service=…,scope=…` is answered by `GET <realm>?service=…&scope=…` (Basic auth with the given
 * username and password, anonymous without), and the request is retried once with the returned
 * `token` (or `access_token`) as Bearer. A `Basic` challenge is answered with the credentials.
 * Tokens are cached per scope set until they expire, and a request to the same repository with
 * the same kind of access reuses the token the previous one needed, so only the first request
 * of a kind pays for the challenge. Redirects on GET and HEAD are followed by hand, without
 * forwarding `Authorization` to another origin.
 *
 * @module
 */

export interface Credentials {
  username: string;
  password: string;
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
  /** Why authentication could not be completed, when a challenge was not answered. */
  authProblem?: string;
  text(): string;
  /** The body as JSON; throws when it is not JSON. */
  json<T = unknown>(): T;
}

export interface Request {
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Scopes to ask for beside the challenge's own, e.g. `repository:a/b:pull` for a mount. */
  scopes?: string[];
}

interface Token {
  header: string;
  expiresAt: number;
}

interface Challenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

const requestTimeoutMs = 60_000;

/** Parses a `WWW-Authenticate` value; a Bearer challenge wins over a Basic one. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const bearer = /\bbearer\s+/i.exec(header);
  if (bearer) {
    const params: Record<string, string> = {};
    for (const m of header.slice(bearer.index + bearer[0].length).matchAll(/([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
      params[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
    }
    return { scheme: 'bearer', params };
  }
  return /\bbasic\b/i.test(header) ? { scheme: 'basic', params: {} } : undefined;
}

/** `repository:<name>:<class>` for a registry path, so a token can be reused before a challenge. */
function routeKey(method: string, url: URL, scopes: string[]): string {
  const repo = /^\/v2\/(.+?)\/(?:blobs|manifests|tags|referrers)\//.exec(url.pathname)?.[1] ?? '';
  const access = method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' ? 'delete' : 'push';
  return `${url.origin} ${repo} ${access} ${scopes.join(' ')}`;
}

export class RegistryClient {
  private readonly tokens = new Map<string, Token>();
  private readonly routes = new Map<string, string>();

  /** `baseUrl` like `http://127.0.0.1:5000` (no trailing slash needed). */
  constructor(
    readonly baseUrl: string,
    private readonly credentials?: Credentials,
  ) {}

  /** Resolves a path (`/v2/…`) or a `Location` (absolute or relative) against the registry. */
  resolve(pathOrUrl: string, base?: string): string {
    return new URL(pathOrUrl, base ?? this.baseUrl.replace(/\/+$/, '') + '/').toString();
  }

  async request(method: string, pathOrUrl: string, init: Request = {}): Promise<Reply> {
    const url = new URL(this.resolve(pathOrUrl));
    const scopes = init.scopes ?? [];
    const key = routeKey(method, url, scopes);
    const cached = this.cachedHeader(this.routes.get(key));
    let res = await this.send(method, url, init, cached);
    if (res.status !== 401) return res;
    const answer = await this.answer(parseChallenge(res.headers.get('www-authenticate')), scopes);
    if (!answer.header) return { ...res, authProblem: answer.problem };
    this.routes.set(key, answer.cacheKey);
    res = await this.send(method, url, init, answer.header);
    return res.status === 401 ? { ...res, authProblem: `the registry refused the credentials it challenged for (${answer.cacheKey})` } : res;
  }

  private cachedHeader(cacheKey: string | undefined): string | undefined {
    if (cacheKey === undefined) return undefined;
    const token = this.tokens.get(cacheKey);
    if (!token || token.expiresAt <= Date.now()) return undefined;
    return token.header;
  }

  private basicHeader(): string | undefined {
    if (!this.credentials) return undefined;
    return `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
  }

  private async answer(challenge: Challenge | undefined, extra: string[]): Promise<{ header?: string; cacheKey: string; problem?: string }> {
    if (!challenge) return { cacheKey: '', problem: '401 without a Bearer or Basic WWW-Authenticate challenge' };
    if (challenge.scheme === 'basic') {
      const header = this.basicHeader();
      if (!header) return { cacheKey: 'basic', problem: 'Basic challenge, but no credentials were given' };
      this.tokens.set('basic', { header, expiresAt: Number.POSITIVE_INFINITY });
      return { header, cacheKey: 'basic' };
    }
    const { realm, service } = challenge.params;
    if (!realm) return { cacheKey: '', problem: 'Bearer challenge without a realm' };
    const scopes = [...new Set([...(challenge.params.scope ?? '').split(' ').filter(Boolean), ...extra])].sort();
    const cacheKey = `${realm} ${service ?? ''} ${scopes.join(' ')}`;
    const cached = this.cachedHeader(cacheKey);
    if (cached) return { header: cached, cacheKey };
    const tokenUrl = new URL(realm, this.baseUrl);
    if (service) tokenUrl.searchParams.set('service', service);
    for (const scope of scopes) tokenUrl.searchParams.append('scope', scope);
    if (this.credentials) tokenUrl.searchParams.set('account', this.credentials.username);
    const basic = this.basicHeader();
    let res: Response;
    try {
      res = await fetch(tokenUrl, { headers: basic ? { authorization: basic } : {}, signal: AbortSignal.timeout(requestTimeoutMs) });
    } catch (error) {
      return { cacheKey, problem: `token request to ${tokenUrl.origin}${tokenUrl.pathname} failed: ${(error as Error).message}` };
    }
    const text = await res.text();
    if (res.status !== 200) return { cacheKey, problem: `token endpoint answered ${res.status}: ${text.slice(0, 200)}` };
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      return { cacheKey, problem: 'token endpoint answered 200 without JSON' };
    }
    const token = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (!token) return { cacheKey, problem: 'token endpoint answered without token or access_token' };
    const seconds = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60;
    const header = `Bearer ${token}`;
    // Renew a little early so a token never expires between the check and the request.
    this.tokens.set(cacheKey, { header, expiresAt: Date.now() + Math.max(seconds - 10, 1) * 1000 });
    return { header, cacheKey };
  }

  private async send(method: string, start: URL, init: Request, auth: string | undefined): Promise<Reply> {
    let url = start;
    let authorization = auth;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { ...init.headers };
      if (authorization) headers.authorization = authorization;
      const res = await fetch(url, { method, headers, body: init.body, redirect: 'manual', signal: AbortSignal.timeout(requestTimeoutMs) });
      const location = res.headers.get('location');
      if ((method === 'GET' || method === 'HEAD') && [301, 302, 303, 307, 308].includes(res.status) && location && hop < 5) {
        await res.arrayBuffer();
        const next = new URL(location, url);
        if (next.origin !== url.origin) authorization = undefined;
        url = next;
        continue;
      }
      const body = Buffer.from(await res.arrayBuffer());
      return {
        status: res.status,
        headers: res.headers,
        body,
        url: url.toString(),
        text: () => body.toString('utf8'),
        json: <T>() => JSON.parse(body.toString('utf8')) as T,
      };
    }
  }
}
