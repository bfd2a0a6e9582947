/**
 * The harness's HTTP client: fetch with the Docker token flow (Bearer challenges answered with
 * a token from the realm, Basic credentials if given), cached per scope.
 */
export interface Target {
  /** e.g. http://127.0.0.1:5000 */
  url: string;
  auth?: { username: string; password: string };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = unknown>(): T;
}

export class RegistryClient {
  private readonly tokens = new Map<string, string>();

  constructor(readonly target: Target) {}

  /**
   * One request; a 401 challenge is answered once. `scopes` are asked for beside the challenge's
   * own (a mount needs pull on its source, as docker and skopeo ask up front).
   */
  async request(method: string, path: string, init: { body?: Uint8Array; headers?: Record<string, string>; scopes?: string[] } = {}): Promise<Reply> {
    const url = path.startsWith('http') ? path : `${this.target.url}${path}`;
    let res = await this.send(method, url, init, this.cachedAuth());
    if (res.status === 401) {
      const auth = await this.answerChallenge(res.headers.get('www-authenticate'), init.scopes ?? []);
      if (auth) res = await this.send(method, url, init, auth);
    }
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T };
  }

  private lastAuth: string | undefined;

  private cachedAuth(): string | undefined {
    return this.lastAuth;
  }

  private send(method: string, url: string, init: { body?: Uint8Array; headers?: Record<string, string> }, auth: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (auth) headers.authorization = auth;
    return fetch(url, { method, headers, body: init.body, redirect: 'manual' });
  }

  private async answerChallenge(header: string | null, extraScopes: string[]): Promise<string | undefined> {
    if (!header) return undefined;
    const basicAuth = this.target.auth ? `Basic ${Buffer.from(`${this.target.auth.username}:${this.target.auth.password}`).toString('base64')}` : undefined;
    if (/^basic/i.test(header)) return (this.lastAuth = basicAuth);
    const params = Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!params.realm) return undefined;
    const scopes = [...(params.scope ? [params.scope] : []), ...extraScopes];
    const key = `${params.service ?? ''} ${scopes.join(' ')}`;
    let token = this.tokens.get(key);
    if (!token) {
      const q = new URLSearchParams();
      if (params.service) q.set('service', params.service);
      for (const scope of scopes) q.append('scope', scope);
      const res = await fetch(`${params.realm}?${q.toString()}`, { headers: basicAuth ? { authorization: basicAuth } : {} });
      if (res.status !== 200) return undefined;
      const doc = (await res.json()) as { token?: string; access_token?: string };
      token = doc.token ?? doc.access_token;
      if (!token) return undefined;
      this.tokens.set(key, token);
    }
    return (this.lastAuth = `Bearer ${token}`);
  }
}
