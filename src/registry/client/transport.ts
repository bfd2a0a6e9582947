/**
 * HTTP to another registry on Node's global fetch: http for loopback (or what `insecure` says),
 * https otherwise; authentication (see `auth.ts`); redirects followed by hand so Authorization
 * is never sent to another origin or over plain http; a timeout until the response headers;
 * and failures turned into SlipwayErrors that name the image but never a credential.
 *
 * @module
 */
import { SlipwayError, type ErrorCode } from '../../core/errors.js';
import { basicHeader, parseChallenge, readTokenResponse, TokenCache, tokenUrl, type Credentials } from './auth.js';
import { isLoopbackRegistry } from './reference.js';
import { readLimited } from './verify.js';

export interface TransportOptions {
  /** Credentials for a registry (`host[:port]`), if any. */
  credentials?: (registry: string) => Promise<Credentials | undefined>;
  /** Use plain http for this registry; default: loopback only. */
  insecure?: (registry: string) => boolean;
  /** The code for "cannot get it" (unknown, unreachable, refused). Default SLW_BASE_IMAGE_UNAVAILABLE. */
  unavailableCode?: ErrorCode;
  /** Milliseconds to wait for response headers (default 30 000). */
  timeoutMs?: number;
}

export interface RegistryRequest {
  registry: string;
  repository: string;
  /** Path after `/v2/<repository>/`. */
  path: string;
  accept?: string[];
  /** The image or blob, for messages. */
  what: string;
}

const maxRedirects = 5;

export class Transport {
  private readonly tokens = new TokenCache();
  /** Registries that asked for Basic auth: send it upfront from then on. */
  private readonly basic = new Set<string>();
  /** Token requests under way, so parallel pulls of one repository share one. */
  private readonly pending = new Map<string, Promise<{ token: string; expiresIn: number }>>();

  constructor(private readonly options: TransportOptions = {}) {}

  unavailable(message: string): SlipwayError {
    return new SlipwayError(this.options.unavailableCode ?? 'SLW_BASE_IMAGE_UNAVAILABLE', message);
  }

  private insecure(registry: string): boolean {
    return this.options.insecure ? this.options.insecure(registry) : isLoopbackRegistry(registry);
  }

  /** A GET that returns the final (2xx) response, or throws a clear error. */
  async get(req: RegistryRequest): Promise<Response> {
    const scope = `repository:${req.repository}:pull`;
    const url = new URL(`${this.insecure(req.registry) ? 'http' : 'https'}://${req.registry}/v2/${req.repository}/${req.path}`);
    const headers: Record<string, string> = { 'user-agent': 'slipway' };
    if (req.accept?.length) headers.accept = req.accept.join(', ');
    const creds = await this.options.credentials?.(req.registry);
    const authFor = (): string | undefined => this.tokens.get(req.registry, scope) ?? (this.basic.has(req.registry) && creds ? basicHeader(creds) : undefined);
    let auth = authFor();
    let res = await this.send(url, headers, auth, req);
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get('www-authenticate'));
      const refreshed = this.tokens.get(req.registry, scope);
      if (challenge?.scheme === 'bearer' && (refreshed === undefined || refreshed === auth)) {
        const key = `${req.registry} ${scope}`;
        let request = this.pending.get(key);
        if (!request) {
          request = this.fetchToken(req, challenge, scope, creds).finally(() => this.pending.delete(key));
          this.pending.set(key, request);
        }
        const token = await request;
        this.tokens.set(req.registry, scope, `Bearer ${token.token}`, token.expiresIn);
      } else if (challenge?.scheme === 'basic' && creds) {
        this.basic.add(req.registry);
      }
      const next = authFor();
      if (next !== undefined && next !== auth) {
        await res.body?.cancel();
        auth = next;
        res = await this.send(url, headers, auth, req);
      }
    }
    if (res.ok) return res;
    const body = await readLimited(res, 64 * 1024, req.what, req.registry).catch(() => Buffer.alloc(0));
    throw this.failure(res.status, body.toString('utf8'), req, creds !== undefined);
  }

  private async fetchToken(req: RegistryRequest, challenge: Parameters<typeof tokenUrl>[0], scope: string, creds: Credentials | undefined): Promise<{ token: string; expiresIn: number }> {
    const url = tokenUrl(challenge, scope);
    if (!url) throw new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${req.registry} asked for a token but its realm ${JSON.stringify(challenge.params.realm ?? '')} is not an http(s) URL`);
    if (creds && url.protocol === 'http:' && !this.insecure(url.host)) {
      throw this.unavailable(`registry ${req.registry} wants credentials sent to the plain-http token service ${url.origin}; refusing for ${req.what} (use https)`);
    }
    const res = await this.send(url, { 'user-agent': 'slipway', ...(creds ? { authorization: basicHeader(creds) } : {}) }, undefined, { ...req, what: `a token for ${req.what}` });
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw this.unavailable(`the token service of ${req.registry} refused ${creds ? 'the credentials' : 'anonymous access'} for ${req.what} (${res.status}); ${creds ? 'check the registry credentials' : 'add credentials for this registry'}`);
    }
    let body: unknown;
    try {
      body = JSON.parse((await readLimited(res, 1024 * 1024, `a token for ${req.what}`, req.registry)).toString('utf8'));
    } catch {
      body = undefined;
    }
    const token = res.ok ? readTokenResponse(body) : undefined;
    if (!token) throw new SlipwayError('SLW_UPSTREAM_REGISTRY', `the token service of ${req.registry} answered ${res.status} without a token for ${req.what}`);
    return token;
  }

  /** One request, following redirects; Authorization only to the same origin over https or an insecure host. */
  private async send(start: URL, headers: Record<string, string>, auth: string | undefined, req: RegistryRequest): Promise<Response> {
    let url = start;
    for (let hop = 0; ; hop++) {
      const sameOrigin = url.origin === start.origin;
      const h = { ...headers, ...(auth && sameOrigin ? { authorization: auth } : {}) };
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.options.timeoutMs ?? 30_000);
      let res: Response;
      try {
        res = await fetch(url, { headers: h, redirect: 'manual', signal: controller.signal });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const why = controller.signal.aborted ? `no answer within ${(this.options.timeoutMs ?? 30_000) / 1000} s` : (cause?.code ?? cause?.message ?? String(error));
        throw this.unavailable(`cannot reach registry ${url.host} for ${req.what} (${why}); check the reference and that the registry is reachable`);
      } finally {
        clearTimeout(timer);
      }
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return res;
      await res.body?.cancel();
      if (hop >= maxRedirects) throw new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${req.registry} redirected too often for ${req.what}`);
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && !(next.protocol === 'http:' && this.insecure(next.host))) {
        throw new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${req.registry} redirected ${req.what} to ${next.protocol}//${next.host}, which is not https; refusing`);
      }
      url = next;
    }
  }

  private failure(status: number, text: string, req: RegistryRequest, hadCredentials: boolean): SlipwayError {
    let detail = '';
    try {
      const first = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors?.[0];
      if (first) detail = `: ${[first.code, first.message].filter(Boolean).join(' ')}`.slice(0, 300);
    } catch {
      detail = '';
    }
    if (status === 404) return this.unavailable(`${req.what} was not found on ${req.registry} (404${detail}); check the name, tag or digest`);
    if (status === 401 || status === 403) {
      const hint = hadCredentials ? 'check the credentials for this registry' : 'it needs credentials: add them for this registry';
      return this.unavailable(`registry ${req.registry} refused access to ${req.what} (${status}${detail}); ${hint}`);
    }
    const retry = status === 429 ? '; it is rate-limiting, try again later' : '';
    return new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${req.registry} answered ${status}${detail} for ${req.what}${retry}`);
  }
}
