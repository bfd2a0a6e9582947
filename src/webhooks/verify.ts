/**
 * Authenticity of a delivery, checked on the raw bytes of the body before any parsing, each
 * provider's way:
 *
 * | provider | header | value |
 * |---|---|---|
 * | github | `X-Hub-Signature-256` | `sha256=<hex HMAC-SHA256(secret, body)>` |
 * | gitlab | `X-Gitlab-Token` | the secret itself |
 * | gitea (and Forgejo) | `X-Gitea-Signature` / `X-Forgejo-Signature` | `<hex HMAC-SHA256(secret, body)>` |
 *
 * Every comparison is constant-time over equal-length digests (`timingSafeEqual` throws on
 * unequal lengths, so both sides are hashed first).
 *
 * @module
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookProvider } from '../core/webhooks.js';

/** Request headers, lower-case names (as Node gives them). */
export type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Constant-time equality of two strings of any length (both are hashed to 32 bytes first). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** Hex HMAC-SHA256 of the body with the secret (GitHub's and Gitea's signature). */
export function hmacHex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** The outcome of checking a delivery's authenticity. */
export type Verification = { ok: true; method: string } | { ok: false; reason: string };

/** Checks the delivery's signature or token against the hook's secret, the provider's way. */
export function verifyDelivery(provider: WebhookProvider, headers: Headers, body: Buffer, secret: string): Verification {
  if (provider === 'github') {
    const sig = header(headers, 'x-hub-signature-256');
    if (!sig) return { ok: false, reason: 'no X-Hub-Signature-256 header (set the secret on the GitHub webhook)' };
    return safeEqual(sig.trim().toLowerCase(), `sha256=${hmacHex(secret, body)}`) ? { ok: true, method: 'x-hub-signature-256' } : { ok: false, reason: 'X-Hub-Signature-256 does not match the body signed with the hook secret' };
  }
  if (provider === 'gitlab') {
    const token = header(headers, 'x-gitlab-token');
    if (token === undefined) return { ok: false, reason: 'no X-Gitlab-Token header (set the secret token on the GitLab webhook)' };
    return safeEqual(token, secret) ? { ok: true, method: 'x-gitlab-token' } : { ok: false, reason: 'X-Gitlab-Token is not the hook secret' };
  }
  const forgejo = header(headers, 'x-forgejo-signature');
  const gitea = header(headers, 'x-gitea-signature');
  const sig = forgejo || gitea;
  if (!sig) return { ok: false, reason: 'no X-Gitea-Signature or X-Forgejo-Signature header (set the secret on the Gitea/Forgejo webhook)' };
  return safeEqual(sig.trim().toLowerCase(), hmacHex(secret, body)) ? { ok: true, method: forgejo ? 'x-forgejo-signature' : 'x-gitea-signature' } : { ok: false, reason: 'the signature does not match the body signed with the hook secret' };
}

/** The event name and the provider's delivery id of a request (absent id: null). */
export function deliveryHeaders(provider: WebhookProvider, headers: Headers): { event: string | null; deliveryId: string | null } {
  if (provider === 'github') return { event: header(headers, 'x-github-event') ?? null, deliveryId: header(headers, 'x-github-delivery') ?? null };
  if (provider === 'gitlab') {
    // Idempotency-Key is kept across GitLab's retries and manual resends; the UUID is per request.
    return { event: header(headers, 'x-gitlab-event') ?? null, deliveryId: header(headers, 'idempotency-key') ?? header(headers, 'x-gitlab-webhook-uuid') ?? header(headers, 'x-gitlab-event-uuid') ?? null };
  }
  return {
    event: header(headers, 'x-forgejo-event') ?? header(headers, 'x-gitea-event') ?? null,
    deliveryId: header(headers, 'x-forgejo-delivery') ?? header(headers, 'x-gitea-delivery') ?? null,
  };
}

