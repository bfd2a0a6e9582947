/**
 * The certificate state of an edge with HTTPS, per domain: what its HTTPS listener presents for
 * the name (one TLS handshake with the name as SNI; the certificate is read, not trusted, and
 * must cover the name), and the last issuance error Caddy logged for it.
 *
 * Why a handshake rather than Caddy's storage: it is what clients get, whoever issued it and
 * wherever Caddy keeps it; Caddy 2.6 has no admin endpoint that lists managed certificates.
 * Errors come from Caddy's log lines (`tls.obtain` / `tls.renew`: "could not get certificate
 * from issuer", cleared by "certificate obtained/renewed successfully"; certmagic v0.17.2
 * `config.go`), so they are known only for a Caddy whose log this process follows (one it
 * started, not one it adopted).
 *
 * @module
 */
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import { isIP } from 'node:net';
import { certificateSource, type CertificateSource } from './https-config.js';

/** One domain's certificate on an edge. */
export interface CertificateState {
  domain: string;
  /**
   * valid: presented, covers the name, not expired; expired: presented but past its end;
   * pending: none presented yet; failed: none presented and the last attempt to get one failed.
   */
  state: 'valid' | 'expired' | 'pending' | 'failed';
  /** Which issuer the edge's config picks for the name. */
  source: CertificateSource;
  /** The presented certificate's issuer (its common name, else organisation). */
  issuer: string | null;
  notAfter: string | null;
  /** The last issuance error for the name (when it has no certificate yet). */
  error: string | null;
}

const MAX_ERROR = 500;

/** The certificate presented for `servername` at `host:port`, or null when the handshake fails. */
export function presentedCertificate(host: string, port: number, servername: string, timeoutMs = 5_000): Promise<PeerCertificate | null> {
  return new Promise((resolve) => {
    // Node refuses an IP address as SNI (RFC 6066); for an IP the edge picks by local address.
    const socket = connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], ...(isIP(servername) === 0 ? { servername } : {}) });
    const done = (cert: PeerCertificate | null) => {
      socket.destroy();
      resolve(cert);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate(false);
      done(cert && Object.keys(cert).length > 0 ? cert : null);
    });
    socket.once('error', () => done(null));
  });
}

function issuerName(cert: PeerCertificate): string | null {
  const name = cert.issuer?.CN ?? cert.issuer?.O;
  return Array.isArray(name) ? (name[0] ?? null) : (name ?? null);
}

/** A name to present as SNI for a route host: a wildcard's first label replaced by a concrete one. */
function probeName(domain: string): string {
  return domain.startsWith('*.') ? `slipway-probe.${domain.slice(2)}` : domain;
}

/** Watches one edge's certificates; see the module comment. */
export class CertificateWatch {
  readonly #errors = new Map<string, string>();

  /** `host` and `port` of the edge's HTTPS listener (a wildcard address is probed on loopback). */
  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  /** One line of Caddy's log (JSON); lines that say nothing about certificates are ignored. */
  observe(line: string): void {
    if (!line.startsWith('{') || !line.includes('"identifier"')) return;
    let entry: { logger?: unknown; msg?: unknown; identifier?: unknown; error?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if (typeof entry.identifier !== 'string' || typeof entry.logger !== 'string' || !entry.logger.startsWith('tls.')) return;
    if (entry.msg === 'could not get certificate from issuer') this.#errors.set(entry.identifier, String(entry.error ?? 'unknown error').slice(0, MAX_ERROR));
    else if (entry.msg === 'certificate obtained successfully' || entry.msg === 'certificate renewed successfully') this.#errors.delete(entry.identifier);
  }

  /** The state of each of `domains` (deduplicated, in order), probed one after the other. */
  async status(domains: string[], now = Date.now()): Promise<CertificateState[]> {
    const host = this.host === '0.0.0.0' || this.host === '' ? '127.0.0.1' : this.host === '[::]' ? '::1' : this.host.replace(/^\[(.*)\]$/, '$1');
    const out: CertificateState[] = [];
    for (const domain of [...new Set(domains)]) {
      const name = probeName(domain);
      const cert = await presentedCertificate(host, this.port, name);
      const covers = cert !== null && checkServerIdentity(name, cert) === undefined;
      const error = this.#errors.get(domain) ?? null;
      if (!cert || !covers) {
        out.push({ domain, state: error ? 'failed' : 'pending', source: certificateSource(domain), issuer: null, notAfter: null, error });
        continue;
      }
      const notAfter = new Date(cert.valid_to);
      out.push({
        domain,
        state: notAfter.getTime() <= now ? 'expired' : 'valid',
        source: certificateSource(domain),
        issuer: issuerName(cert),
        notAfter: Number.isNaN(notAfter.getTime()) ? null : notAfter.toISOString(),
        error: null,
      });
    }
    return out;
  }
}
