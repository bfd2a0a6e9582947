/**
 * Where the server may fetch images from. A developer names the registry (`slipway import`,
 * `--base`), and that registry names more URLs (redirects, a token `realm`); none of them may
 * point the server at itself or at its network. So every connection is checked against the
 * address it actually goes to, after DNS resolution: the socket connects to the address that
 * was checked (a lookup hook on the connection, so a second DNS answer cannot swap it), and an
 * IP literal is checked before connecting. Internal addresses (see `addresses.ts`) are refused
 * unless the instance admin allow-listed the host name or a range containing the address
 * (`slipway server --allow-registry-host HOST|CIDR`).
 *
 * Requests go through node:http(s) with this hook and come back as a fetch `Response`. No
 * `Accept-Encoding` is sent, so nothing is decompressed on the way.
 *
 * @module
 */
import { lookup as dnsLookup, promises as dnsPromises, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { SlipwayError } from '../../core/errors.js';
import { inCidr, internalKind, parseCidr, parseIp, unwrap, type Cidr } from './addresses.js';

const hostName = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Checks one `--allow-registry-host` value; returns it normalised, or a reason it is not valid. */
export function parseAllowEntry(value: string): { entry: string } | { error: string } {
  const v = value.trim().toLowerCase();
  if (v.includes('/') || parseIp(v)) return parseCidr(v.replace(/^\[(.*)\]/, '$1')) ? { entry: v } : { error: `${JSON.stringify(value)} is not a valid address or CIDR range (e.g. 10.0.0.0/8, fd00::/8)` };
  if (hostName.test(v)) return { entry: v };
  return { error: `${JSON.stringify(value)} is not a host name, address or CIDR range (e.g. registry.internal, 127.0.0.1, 10.0.0.0/8); give no port or scheme` };
}

export function refused(host: string, kind: string, viaName: boolean): SlipwayError {
  const what = viaName ? `resolves to a ${kind} address` : `is a ${kind} address`;
  return new SlipwayError(
    'SLW_REGISTRY_HOST_REFUSED',
    `registry host ${host} ${what}, which this server does not fetch from; use a registry on a public address, or ask the instance admin to allow it (slipway server --allow-registry-host ${host})`,
  );
}

/**
 * The hosts and ranges an instance admin allowed (`--allow-registry-host`, `--allow-service-host`):
 * every other loopback, private, link-local or otherwise internal address is refused.
 */
export class AllowList {
  readonly #hosts = new Set<string>();
  readonly #ranges: Cidr[] = [];

  /** `allow`: host names, addresses and CIDR ranges; `option` names the flag in the error. */
  constructor(allow: readonly string[], option: string) {
    for (const raw of allow) {
      const parsed = parseAllowEntry(raw);
      if ('error' in parsed) throw new SlipwayError('SLW_SERVER_CONFIG', `invalid ${option}: ${parsed.error}`);
      const range = parsed.entry.includes('/') || parseIp(parsed.entry) ? parseCidr(parsed.entry.replace(/^\[(.*)\]/, '$1')) : undefined;
      if (range) this.#ranges.push(range);
      else this.#hosts.add(parsed.entry);
    }
  }

  /** Null when `host`, reached at `address`, is allowed; otherwise the kind of internal address (or `unknown`). */
  refusal(host: string, address: string): string | null {
    if (this.#hosts.has(host.replace(/^\[(.*)\]$/, '$1').toLowerCase())) return null;
    const ip = parseIp(address);
    if (!ip) return 'unknown';
    if (this.#ranges.some((r) => inCidr(ip, r) || inCidr(unwrap(ip), r))) return null;
    return internalKind(ip) ?? null;
  }
}

export interface EgressRequest {
  method?: 'GET' | 'HEAD' | 'POST';
  headers: Record<string, string>;
  /** A request body (POST), sent as is. */
  body?: Buffer;
  signal?: AbortSignal;
}

/** Who uses a policy: its allow-list flag (in config errors) and the error a refused host gets. */
export interface EgressUse {
  option: string;
  refused(host: string, kind: string, viaName: boolean): SlipwayError;
}

const registryUse: EgressUse = { option: '--allow-registry-host', refused };

/** The allow-list and the HTTP agents that enforce it. */
export class EgressPolicy {
  private readonly allow: AllowList;
  private readonly use: EgressUse;
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  /**
   * `allow`: host names, addresses and CIDR ranges (already checked by {@link parseAllowEntry});
   * `use`: whose policy it is (default: fetching images, `--allow-registry-host`).
   */
  constructor(allow: readonly string[] = [], use: EgressUse = registryUse) {
    this.use = use;
    this.allow = new AllowList(allow, use.option);
    const lookup = this.lookup;
    this.http = new HttpAgent({ keepAlive: true, maxSockets: 16, lookup });
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: 16, lookup });
  }

  /** Throws the use's refusal (SLW_REGISTRY_HOST_REFUSED for images) unless `host` may be reached at `address`. */
  check(host: string, address: string): void {
    const why = this.allow.refusal(host, address);
    if (why) throw this.use.refused(host, why, isIP(host.replace(/^\[(.*)\]$/, '$1')) === 0);
  }

  /**
   * Checks a URL's host before anything is stored: an address as is, a name by every address
   * DNS gives now (each connection checks again, so a later answer cannot slip through).
   * Throws the use's refusal, or `unresolved` when the name does not resolve.
   */
  async checkUrl(url: URL, unresolved: (host: string) => SlipwayError): Promise<void> {
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(hostname) !== 0) return this.check(hostname, hostname);
    const addresses = await dnsPromises.lookup(hostname, { all: true, verbatim: true }).catch(() => []);
    if (addresses.length === 0) throw unresolved(hostname);
    for (const a of addresses) this.check(hostname, a.address);
  }

  /** A `lookup` for sockets: resolves, refuses when any answer is internal, connects to a checked one. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0, hints: options.hints ?? 0 }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      try {
        if (addresses.length === 0) throw Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
        for (const a of addresses) this.check(hostname, a.address);
      } catch (refusal) {
        return callback(refusal as NodeJS.ErrnoException, '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  };

  /** One HTTP request (no redirects followed) to an allowed destination. */
  async fetch(url: URL, init: EgressRequest): Promise<Response> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol ${url.protocol}`);
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // An address in the URL is never looked up: check it here.
    if (isIP(hostname) !== 0) this.check(hostname, hostname);
    const secure = url.protocol === 'https:';
    const method = init.method ?? 'GET';
    return new Promise<Response>((resolve, reject) => {
      const options = { method, hostname, port: url.port || (secure ? 443 : 80), path: `${url.pathname}${url.search}`, headers: init.headers, signal: init.signal };
      const req = secure ? httpsRequest({ ...options, agent: this.https, servername: isIP(hostname) === 0 ? hostname : undefined }) : httpRequest({ ...options, agent: this.http });
      req.on('error', reject);
      req.once('response', (res) => {
        try {
          resolve(toResponse(res, method));
        } catch (error) {
          res.destroy();
          reject(error as Error);
        }
      });
      req.end(init.body);
    });
  }

  /** Closes idle kept-alive connections (at shutdown). */
  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

function toResponse(res: IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 599) throw Object.assign(new Error(`status ${status}`), { code: 'EPROTO' });
  const empty = method === 'HEAD' || status === 204 || status === 205 || status === 304;
  if (empty) res.resume();
  const body = empty ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
  return new Response(body, { status, statusText: res.statusMessage ?? '', headers });
}

let strict: EgressPolicy | undefined;

/** The default policy: nothing internal allowed. */
export function strictEgress(): EgressPolicy {
  strict ??= new EgressPolicy();
  return strict;
}
