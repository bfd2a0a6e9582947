/**
 * Join tokens: `slwjoin_` + base64url of `{"v":1,"u":GATEWAY_URL,"p":CA_PIN,"t":"ID.SECRET"}`.
 * The agent reads the gateway URL and the CA pin from it (so it authenticates the gateway before
 * it sends anything); the control plane keeps only the id and the SHA-256 of the secret.
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SlipwayError } from '../core/errors.js';

export interface JoinToken {
  gatewayUrl: string;
  /** SHA-256 (hex) of the CA root's DER. */
  caPin: string;
  id: string;
  secret: string;
}

const prefix = 'slwjoin_';

function invalid(why: string): SlipwayError {
  return new SlipwayError('SLW_JOIN_TOKEN_INVALID', `the join token ${why}; make a new one with 'slipway server token NAME' (or 'slipway server add NAME') and copy it whole`);
}

export function encodeJoinToken(token: JoinToken): string {
  return prefix + Buffer.from(JSON.stringify({ v: 1, u: token.gatewayUrl, p: token.caPin, t: `${token.id}.${token.secret}` })).toString('base64url');
}

/** Reads a join token (never echoes it in an error: it holds a secret). */
export function decodeJoinToken(raw: string): JoinToken {
  const text = raw.trim();
  if (!text.startsWith(prefix) || text.length > 4096) throw invalid(`is not a Slipway join token (it starts with ${prefix})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text.slice(prefix.length), 'base64url').toString('utf8'));
  } catch {
    throw invalid('is damaged (not base64url JSON)');
  }
  const p = parsed as { v?: unknown; u?: unknown; p?: unknown; t?: unknown };
  if (p.v !== 1 || typeof p.u !== 'string' || typeof p.p !== 'string' || typeof p.t !== 'string') throw invalid('is damaged (fields missing)');
  if (!/^[0-9a-f]{64}$/.test(p.p)) throw invalid('carries no valid CA pin');
  const m = /^(jtk_[0-9a-f_]{29,40})\.([A-Za-z0-9_-]{43})$/.exec(p.t);
  if (!m) throw invalid('is damaged (its id or secret is malformed)');
  let url: URL;
  try {
    url = new URL(p.u);
  } catch {
    throw invalid('carries no valid gateway URL');
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') throw invalid('carries no valid gateway URL (https://HOST:PORT)');
  return { gatewayUrl: url.origin, caPin: p.p, id: m[1]!, secret: m[2]! };
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
