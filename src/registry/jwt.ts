/**
 * Registry bearer tokens: compact JWTs signed with HMAC-SHA256 by a key derived from the master
 * key. Only this server issues and checks them, so a symmetric key is enough; they live minutes.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** One grant: actions on one repository. */
export interface Access {
  type: 'repository';
  name: string;
  actions: string[];
}

export interface RegistryClaims {
  iss: string;
  sub: string;
  aud: string;
  /** Slipway API token id the grant came from (audit, revocation). */
  tok: string;
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
  access: Access[];
  /**
   * Requested repositories whose project does not exist in a workspace the API token can see
   * (so a refusal can say so without telling anything about other workspaces).
   */
  missing?: string[];
}

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export function signToken(claims: RegistryClaims, key: Buffer): string {
  const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'slipway' }));
  const body = b64(JSON.stringify(claims));
  const sig = createHmac('sha256', key).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/** The claims of a valid, unexpired token for `audience`, or null. */
export function verifyToken(token: string, key: Buffer, audience: string, nowSeconds: number): RegistryClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [head, body, sig] = parts as [string, string, string];
  const expected = createHmac('sha256', key).update(`${head}.${body}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: RegistryClaims;
  try {
    const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: string };
    if (header.alg !== 'HS256') return null;
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as RegistryClaims;
  } catch {
    return null;
  }
  if (claims.aud !== audience || typeof claims.exp !== 'number' || claims.exp <= nowSeconds || claims.nbf > nowSeconds + 30) return null;
  if (!Array.isArray(claims.access)) return null;
  return claims;
}
