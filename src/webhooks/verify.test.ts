import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deliveryHeaders, hmacHex, safeEqual, verifyDelivery } from './verify.js';

const body = Buffer.from('Hello, World!');
const secret = "It's a Secret to Everybody";

describe('verifyDelivery', () => {
  it("matches GitHub's documented test vector", () => {
    expect(hmacHex(secret, body)).toBe('757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
    expect(verifyDelivery('github', { 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' }, body, secret)).toEqual({ ok: true, method: 'x-hub-signature-256' });
  });

  it('refuses a wrong, truncated, missing or legacy-only GitHub signature without throwing', () => {
    const good = `sha256=${hmacHex(secret, body)}`;
    expect(verifyDelivery('github', { 'x-hub-signature-256': good.slice(0, 20) }, body, secret).ok).toBe(false);
    expect(verifyDelivery('github', { 'x-hub-signature-256': good }, Buffer.from('Hello, World?'), secret).ok).toBe(false);
    expect(verifyDelivery('github', {}, body, secret)).toMatchObject({ ok: false, reason: expect.stringContaining('X-Hub-Signature-256') });
    expect(verifyDelivery('github', { 'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}` }, body, secret).ok).toBe(false);
  });

  it('compares the GitLab token verbatim', () => {
    expect(verifyDelivery('gitlab', { 'x-gitlab-token': secret }, body, secret).ok).toBe(true);
    expect(verifyDelivery('gitlab', { 'x-gitlab-token': `${secret} ` }, body, secret).ok).toBe(false);
    expect(verifyDelivery('gitlab', { 'x-gitlab-token': '' }, body, secret).ok).toBe(false);
    expect(verifyDelivery('gitlab', {}, body, secret).ok).toBe(false);
  });

  it('takes the bare hex signature of Gitea and of Forgejo', () => {
    const hex = hmacHex(secret, body);
    expect(verifyDelivery('gitea', { 'x-gitea-signature': hex }, body, secret)).toEqual({ ok: true, method: 'x-gitea-signature' });
    expect(verifyDelivery('gitea', { 'x-forgejo-signature': hex }, body, secret)).toEqual({ ok: true, method: 'x-forgejo-signature' });
    expect(verifyDelivery('gitea', { 'x-gitea-signature': `sha256=${hex}` }, body, secret).ok).toBe(false);
    expect(verifyDelivery('gitea', { 'x-gitea-signature': '' }, body, secret).ok).toBe(false);
  });

  it('safeEqual is plain equality for strings of any length', () => {
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'ab')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});

describe('deliveryHeaders', () => {
  it("reads each provider's event and delivery id", () => {
    expect(deliveryHeaders('github', { 'x-github-event': 'push', 'x-github-delivery': 'abc' })).toEqual({ event: 'push', deliveryId: 'abc' });
    expect(deliveryHeaders('gitlab', { 'x-gitlab-event': 'Push Hook', 'idempotency-key': 'k', 'x-gitlab-webhook-uuid': 'u' })).toEqual({ event: 'Push Hook', deliveryId: 'k' });
    expect(deliveryHeaders('gitlab', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-webhook-uuid': 'u' })).toEqual({ event: 'Push Hook', deliveryId: 'u' });
    expect(deliveryHeaders('gitea', { 'x-forgejo-event': 'push', 'x-forgejo-delivery': 'f', 'x-gitea-event': 'push', 'x-gitea-delivery': 'g' })).toEqual({ event: 'push', deliveryId: 'f' });
    expect(deliveryHeaders('gitea', {})).toEqual({ event: null, deliveryId: null });
  });
});
