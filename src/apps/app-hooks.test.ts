import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyAppHookCall } from './app-hooks.js';

const secret = 'a'.repeat(64);
const body = Buffer.from('{"events":[]}');
const sig = (key: string, b: Buffer = body) => `sha256=${createHmac('sha256', key).update(b).digest('hex')}`;

describe('upstream hook call verification', () => {
  it('takes the bearer secret or a signature of the exact body', () => {
    expect(verifyAppHookCall({ authorization: `Bearer ${secret}` }, body, secret)).toEqual({ ok: true, method: 'bearer' });
    expect(verifyAppHookCall({ authorization: `bearer   ${secret} ` }, body, secret).ok).toBe(true);
    expect(verifyAppHookCall({ 'x-slipway-signature': sig(secret) }, body, secret)).toEqual({ ok: true, method: 'x-slipway-signature' });
    expect(verifyAppHookCall({ 'x-slipway-signature': sig(secret).toUpperCase().replace('SHA256=', 'sha256=') }, body, secret).ok).toBe(true);
    expect(verifyAppHookCall({ 'x-slipway-signature': [sig(secret)] }, body, secret).ok).toBe(true);
  });

  it('refuses a wrong or missing secret, a signature of another body, and a right bearer beside a wrong signature', () => {
    const refused = (headers: Record<string, string>, b = body) => verifyAppHookCall(headers, b, secret);
    expect(refused({ authorization: 'Bearer nope' })).toMatchObject({ ok: false, reason: expect.stringMatching(/bearer secret/) });
    expect(refused({ authorization: `Basic ${secret}` }).ok).toBe(false);
    expect(refused({ authorization: `Bearer ${secret} extra` }).ok).toBe(false);
    expect(refused({ 'x-slipway-signature': sig('other') })).toMatchObject({ ok: false, reason: expect.stringMatching(/X-Slipway-Signature/) });
    expect(refused({ 'x-slipway-signature': sig(secret) }, Buffer.from('{"events":[1]}')).ok).toBe(false);
    expect(refused({ 'x-slipway-signature': sig(secret).slice(7) }).ok).toBe(false);
    // A signature, when sent, decides: a good bearer does not rescue a bad one.
    expect(refused({ 'x-slipway-signature': sig('other'), authorization: `Bearer ${secret}` }).ok).toBe(false);
    expect(refused({})).toMatchObject({ ok: false, reason: expect.stringMatching(/neither/) });
  });
});
