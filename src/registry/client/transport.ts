/**
 * HTTP to another registry: http for loopback (or what `insecure` says), https otherwise;
 * every connection (the registry, each redirect hop, the token realm) through the egress policy
 * (see `egress.ts`), which refuses internal addresses after DNS resolution; authentication (see
 * `auth.ts`); redirects followed by hand (at most 5) so Authorization, credentials included, is
 * only ever sent to the origin it is for; a timeout until the response headers; and failures
 * turned into SlipwayErrors that name the image and the status, never a credential, and never
 * the text of the other side's answer.
 *
 * @module
 */
import { isSlipwayError, SlipwayError, type ErrorCode } from '../../core/errors.js';
import { basicHeader, parseChallenge, readTokenResponse, TokenCache, tokenUrl, type Credentials } from './auth.js';
import { isLoopbackRegistry } from './reference.js';
import { EgressPolicy, strictEgress } from './egress.js';
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
  /** Which destinations may be reached (default: no internal address). */
  egress?: EgressPolicy;
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

  private readonly egress: EgressPolicy;

  constructor(private readonly options: TransportOptions = {}) {
    this.egress = options.egress ?? strictEgress();
  }

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
    throw this.failure(res.status, knownErrorCode(body), req, creds !== undefined);
  }

  private async fetchToken(req: RegistryRequest, challenge: Parameters<typeof tokenUrl>[0], scope: string, creds: Credentials | undefined): Promise<{ token: string; expiresIn: number }> {
    const url = tokenUrl(challenge, scope);
    if (!url) throw new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${req.registry} asked for a token but its realm is not an http(s) URL without credentials; check the registry`);
    if (creds && url.protocol === 'http:' && !this.insecure(url.host)) {
      throw this.unavailable(`registry ${req.registry} wants credentials sent to the plain-http token service ${url.origin}; refusing for ${req.what} (use https)`);
    }
    // The credentials go to the realm's origin only, never along a redirect to another one.
    const res = await this.send(url, { 'user-agent': 'slipway' }, creds ? basicHeader(creds) : undefined, { ...req, what: `a token for ${req.what}` });
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
        res = await this.egress.fetch(url, { headers: h, signal: controller.signal });
      } catch (error) {
        if (isSlipwayError(error)) throw error;
        const why = controller.signal.aborted ? `no answer within ${(this.options.timeoutMs ?? 30_000) / 1000} s` : ((error as { code?: string }).code ?? 'connection failed');
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

  /** Status and what to do; of the answer's body at most a standard error code (never its text). */
  private failure(status: number, code: string | undefined, req: RegistryRequest, hadCredentials: boolean): SlipwayError {
    const detail = code ? `: ${code}` : '';
    if (status === 404) return this.unavailable(`${req.what} was not found on ${req.registry} (404${detail}); check the name, tag or digest`);
    if (status === 401 || status === 403) {
      const hint = hadCredentials ? 'check the credentials for this registry' : 'it needs credentials: add them for this registry';
      return this.unavailable(`registry ${req.registry} refused access to ${req.what} (${status}${detail}); ${hint}`);
    }
    const retry = status === 429 ? '; it is rate-limiting, try again later' : '; try again later or check the registry';
    return new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${req.registry} answered ${status}${detail} for ${req.what}${retry}`);
  }
}

/** The error codes of the distribution spec (and Docker Hub's): the only part of an error body ever repeated. */
const distributionCodes = new Set([
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DENIED',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'MANIFEST_UNVERIFIED',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'TAG_INVALID',
  'TOOMANYREQUESTS',
  'UNAUTHORIZED',
  'UNSUPPORTED',
]);

function knownErrorCode(body: Buffer): string | undefined {
  try {
    const code = (JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown }[] }).errors?.[0]?.code;
    return typeof code === 'string' && distributionCodes.has(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
