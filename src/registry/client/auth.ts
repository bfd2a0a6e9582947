/**
 * Registry authentication as clients do it: on a 401, read `WWW-Authenticate`; for `Bearer`,
 * get a token from the realm (`service` and `scope` as query parameters, Basic credentials if
 * there are any) and keep it per (registry, scope) until `expires_in` runs out; for `Basic`,
 * send the credentials. Credentials only ever travel in an Authorization header.
 *
 * @module
 */
export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

/** Parses the first challenge of a `WWW-Authenticate` header we can use. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = (m[1] ?? '').toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') return undefined;
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/g;
  for (let p = re.exec(m[2] ?? ''); p; p = re.exec(m[2] ?? '')) {
    params[(p[1] ?? '').toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme, params };
}

export function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

/** Seconds a token is trusted less than it says, so it is not used as it expires. */
const slackSeconds = 5;

/** Authorization headers per (registry, scope), with expiry. */
export class TokenCache {
  private readonly tokens = new Map<string, { header: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(registry: string, scope: string): string | undefined {
    const key = `${registry} ${scope}`;
    const hit = this.tokens.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt <= this.now()) {
      this.tokens.delete(key);
      return undefined;
    }
    return hit.header;
  }

  set(registry: string, scope: string, header: string, expiresInSeconds: number): void {
    const seconds = Math.max(0, expiresInSeconds - slackSeconds);
    this.tokens.set(`${registry} ${scope}`, { header, expiresAt: this.now() + seconds * 1000 });
  }
}

/** A token endpoint's answer: `token` or `access_token`, and `expires_in` (60 s when absent). */
export function readTokenResponse(body: unknown): { token: string; expiresIn: number } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const token = typeof b.token === 'string' && b.token !== '' ? b.token : typeof b.access_token === 'string' ? b.access_token : undefined;
  if (!token) return undefined;
  const expiresIn = typeof b.expires_in === 'number' && b.expires_in > 0 ? b.expires_in : 60;
  return { token, expiresIn };
}

/** The realm URL with `service` and `scope` query parameters. */
export function tokenUrl(challenge: Challenge, scope: string): URL | undefined {
  const realm = challenge.params.realm;
  if (!realm) return undefined;
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password) return undefined;
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  url.searchParams.set('scope', challenge.params.scope ?? scope);
  return url;
}
