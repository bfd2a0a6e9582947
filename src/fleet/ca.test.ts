/**
 * The internal CA: made once and reopened with the same pin, its key sealed with the master key
 * (unreadable with another), agent certificates with a fixed profile whatever the CSR asks for,
 * CSRs that are not P-256 or not self-signed refused; join tokens read back and damaged ones refused.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectCode, testKeyring } from '../../test/support/service-fixtures.js';
import { InternalCa, newKeyAndCsr, serverIdOf } from './ca.js';
import { decodeJoinToken, encodeJoinToken, hashSecret, newSecret, secretMatches } from './join-token.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-ca-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('internal CA', () => {
  const keyring = testKeyring();

  it('is made at first start, its key sealed, and reopened with the same pin', async () => {
    const ca = await InternalCa.open(dir, keyring);
    const sealed = readFileSync(join(dir, 'ca', 'root.key.sealed'), 'utf8');
    expect(sealed).not.toContain('PRIVATE KEY');
    expect(statSync(join(dir, 'ca', 'root.key.sealed')).mode & 0o777).toBe(0o600);
    const root = new X509Certificate(ca.rootPem);
    expect(root.ca).toBe(true);
    expect(ca.pin).toMatch(/^[0-9a-f]{64}$/);
    expect((await InternalCa.open(dir, keyring)).pin).toBe(ca.pin);
    await expectCode(() => InternalCa.open(dir, testKeyring()), 'SLW_MASTER_KEY_MISMATCH');
  });

  it('signs an agent CSR with its own profile, whatever the CSR names', async () => {
    const ca = await InternalCa.open(dir, keyring);
    const { csrPem } = await newKeyAndCsr('evil.example, CN=admin');
    const issued = await ca.signAgent(csrPem, 'srv_0123456789ab_0123456789abcdef', 3_600_000);
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.subject).toBe('CN=srv_0123456789ab_0123456789abcdef');
    expect(serverIdOf(cert)).toBe('srv_0123456789ab_0123456789abcdef');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(ca.issued(cert)).toBe(true);
    expect(Math.abs(Date.parse(cert.validTo) - Date.now() - 3_600_000)).toBeLessThan(5_000);
    // Another CA's certificate is not ours.
    const other = await InternalCa.open(join(dir, 'other'), testKeyring());
    expect(ca.issued(new X509Certificate((await other.signAgent(csrPem, 'srv_x', 60_000)).certificatePem))).toBe(false);
  });

  it('refuses a CSR that is not P-256, not self-signed or not a CSR', async () => {
    const ca = await InternalCa.open(dir, keyring);
    const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
    const rsaKeys = (await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const rsaCsr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=rsa', keys: rsaKeys, signingAlgorithm: rsa });
    await expectCode(() => ca.signAgent(rsaCsr.toString('pem'), 'srv_x', 60_000), 'SLW_CSR_INVALID');
    await expectCode(() => ca.signAgent('not a csr', 'srv_x', 60_000), 'SLW_CSR_INVALID');
    // A CSR whose signature does not match its key (the public key swapped for another's).
    const a = await newKeyAndCsr('a');
    const b = await newKeyAndCsr('b');
    const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const csrA = new x509.Pkcs10CertificateRequest(a.csrPem);
    const keyB = new x509.Pkcs10CertificateRequest(b.csrPem).publicKey.rawData;
    const forged = Buffer.from(der(a.csrPem));
    const keyA = Buffer.from(csrA.publicKey.rawData);
    const at = forged.indexOf(keyA);
    expect(at).toBeGreaterThan(0);
    Buffer.from(keyB).copy(forged, at);
    const forgedPem = `-----BEGIN CERTIFICATE REQUEST-----\n${forged.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expectCode(() => ca.signAgent(forgedPem, 'srv_x', 60_000), 'SLW_CSR_INVALID');
  });
});

describe('join tokens', () => {
  const token = { gatewayUrl: 'https://10.0.0.1:7443', caPin: 'a'.repeat(64), id: 'jtk_0123456789ab_0123456789abcdef', secret: newSecret() };

  it('read back what they carry', () => {
    const text = encodeJoinToken(token);
    expect(text.startsWith('slwjoin_')).toBe(true);
    expect(decodeJoinToken(`  ${text}\n`)).toEqual(token);
    expect(secretMatches(token.secret, hashSecret(token.secret))).toBe(true);
    expect(secretMatches(newSecret(), hashSecret(token.secret))).toBe(false);
  });

  it('refuse damaged tokens without echoing them', async () => {
    const b64 = (o: unknown) => `slwjoin_${Buffer.from(JSON.stringify(o)).toString('base64url')}`;
    const bad = [
      'nope',
      'slwjoin_%%%',
      b64({ v: 2, u: token.gatewayUrl, p: token.caPin, t: `${token.id}.${token.secret}` }),
      b64({ v: 1, u: 'http://10.0.0.1:7443', p: token.caPin, t: `${token.id}.${token.secret}` }),
      b64({ v: 1, u: token.gatewayUrl, p: 'zz', t: `${token.id}.${token.secret}` }),
      b64({ v: 1, u: token.gatewayUrl, p: token.caPin, t: `${token.id}.short` }),
    ];
    for (const text of bad) {
      const e = await expectCode(async () => decodeJoinToken(text), 'SLW_JOIN_TOKEN_INVALID');
      expect(e.message).not.toContain(token.secret);
    }
  });
});

// A CA directory whose files were tampered with refuses to open rather than sign with a wrong key.
describe('internal CA files', () => {
  it('refuses a damaged sealed key', async () => {
    const d = join(dir, 'damaged');
    const keyring = testKeyring();
    await InternalCa.open(d, keyring);
    writeFileSync(join(d, 'ca', 'root.key.sealed'), 'garbage');
    await expectCode(() => InternalCa.open(d, keyring), 'SLW_MASTER_KEY_MISMATCH');
  });
});
