/**
 * The instance's internal certificate authority: an ECDSA P-256 root made at first start in the
 * data directory (`ca/root.crt`, and `ca/root.key.sealed`: the key sealed with the master key).
 * It signs the agent gateway's server certificate and the agents' short-lived client
 * certificates. Join tokens pin the SHA-256 of the root's DER ({@link InternalCa.pin}), so an
 * agent authenticates the gateway before it sends anything secret.
 *
 * The CA signs with a fixed profile and never trusts a request's names or usages: an agent
 * certificate names its server by id in the subject and a `slipway://server/<id>` URI, and allows
 * client authentication only.
 *
 * @module
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import type { Keyring } from '../secrets/secrets.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const sealId = { workspaceId: 'instance', projectId: 'ca', scope: 'root', name: 'key', version: 1 };

/** The CA key's sealed file in `dataDir` and its identity, for a master-key rotation (the file may not exist yet). */
export const sealedCaKeyFile = (dataDir: string) => ({ name: 'internal CA key', file: join(dataDir, 'ca', 'root.key.sealed'), id: sealId });
const yearMs = 365 * 86_400_000;

/** A certificate and its private key, both PEM (the key is never logged nor stored in plain text by the control plane). */
export interface KeyAndCertificate {
  keyPem: string;
  certificatePem: string;
}

/** An agent certificate the CA issued. */
export interface IssuedCertificate {
  certificatePem: string;
  serial: string;
  notAfter: Date;
}

/** SHA-256 (hex) of a PEM certificate's DER: the pin a join token carries. */
export function certificatePin(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

/** The server id an agent certificate names (its `slipway://server/<id>` URI), or null. */
export function serverIdOf(certificate: X509Certificate): string | null {
  const m = /URI:slipway:\/\/server\/([a-z0-9_]+)/.exec(certificate.subjectAltName ?? '');
  return m?.[1] ?? null;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
}

async function importPkcs8(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
}

const serial = () => {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // a positive INTEGER
  return bytes.toString('hex');
};

/** A new ECDSA P-256 key pair with a CSR for it (what an agent makes; the key never leaves its host). */
export async function newKeyAndCsr(commonName: string): Promise<{ keyPem: string; csrPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${commonName.replace(/[^A-Za-z0-9._-]/g, '-')}`, keys, signingAlgorithm: algorithm });
  return { keyPem: await pkcs8Pem(keys.privateKey), csrPem: csr.toString('pem') };
}

export class InternalCa {
  private constructor(
    /** The root certificate, PEM. */
    readonly rootPem: string,
    private readonly rootKey: CryptoKey,
    private readonly root: x509.X509Certificate,
  ) {}

  /** SHA-256 (hex) of the root's DER. */
  get pin(): string {
    return certificatePin(this.rootPem);
  }

  /** Loads the CA of `dataDir`, making it on first start. */
  static async open(dataDir: string, keyring: Keyring): Promise<InternalCa> {
    const dir = join(dataDir, 'ca');
    const certFile = join(dir, 'root.crt');
    const keyFile = join(dir, 'root.key.sealed');
    if (!existsSync(certFile) || !existsSync(keyFile)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
      const now = Date.now();
      const root = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serial(),
        name: `CN=Slipway internal CA ${randomBytes(4).toString('hex')}`,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 10 * yearMs),
        keys,
        signingAlgorithm: algorithm,
        extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
      });
      // Key first, then the certificate: a crash in between leaves no certificate without its key.
      writeFileSync(`${keyFile}.tmp`, keyring.seal(sealId, await pkcs8Pem(keys.privateKey)), { mode: 0o600 });
      renameSync(`${keyFile}.tmp`, keyFile);
      writeFileSync(`${certFile}.tmp`, root.toString('pem'), { mode: 0o644 });
      renameSync(`${certFile}.tmp`, certFile);
    }
    const rootPem = readFileSync(certFile, 'utf8');
    let keyPem: string;
    try {
      keyPem = keyring.open(sealId, readFileSync(keyFile, 'utf8').trim());
    } catch (error) {
      throw new SlipwayError('SLW_MASTER_KEY_MISMATCH', `the internal CA's key (${keyFile}) cannot be opened with this master key`, { cause: error });
    }
    return new InternalCa(rootPem, await importPkcs8(keyPem), new x509.X509Certificate(rootPem));
  }

  /** A fresh server certificate for the agent gateway, valid for `hosts` (names or IP addresses). */
  async gatewayCertificate(hosts: string[], validMs = 30 * 86_400_000): Promise<KeyAndCertificate> {
    const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = Date.now();
    const names = [...new Set(hosts)].map((h) => (isIP(h.replace(/^\[|\]$/g, '')) ? { type: 'ip' as const, value: h.replace(/^\[|\]$/g, '') } : { type: 'dns' as const, value: h }));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: 'CN=Slipway agent gateway',
      issuer: this.root.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + validMs),
      publicKey: keys.publicKey,
      signingKey: this.rootKey,
      signingAlgorithm: algorithm,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], true), new x509.SubjectAlternativeNameExtension(names)],
    });
    return { keyPem: await pkcs8Pem(keys.privateKey), certificatePem: cert.toString('pem') };
  }

  /**
   * Signs an agent's CSR for server `serverId`, valid for `validMs`. Only the request's public key
   * is used (checked: P-256, self-signature valid); its names and extensions are ignored.
   */
  async signAgent(csrPem: string, serverId: string, validMs: number): Promise<IssuedCertificate> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch {
      throw new SlipwayError('SLW_CSR_INVALID', 'the certificate request is not a PEM PKCS#10 request');
    }
    const alg = csr.publicKey.algorithm as webcrypto.EcKeyAlgorithm;
    if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256') throw new SlipwayError('SLW_CSR_INVALID', 'the certificate request must be for an ECDSA P-256 key');
    if (!(await csr.verify())) throw new SlipwayError('SLW_CSR_INVALID', 'the certificate request is not signed by its own key');
    const now = Date.now();
    const notAfter = new Date(now + validMs);
    const number = serial();
    // Backdated for clock skew, by at most a tenth of the lifetime (agents renew at two thirds of it).
    const backdate = Math.min(60_000, Math.max(0, validMs) / 10);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: number,
      subject: `CN=${serverId}`,
      issuer: this.root.subject,
      notBefore: new Date(now - (validMs > 0 ? backdate : 60_000)),
      notAfter,
      publicKey: await csr.publicKey.export(algorithm, ['verify']),
      signingKey: this.rootKey,
      signingAlgorithm: algorithm,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], true), new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `slipway://server/${serverId}` }])],
    });
    return { certificatePem: cert.toString('pem'), serial: number, notAfter };
  }

  /** True when `certificate` was issued by this CA (its signature checks out against the root). */
  issued(certificate: X509Certificate): boolean {
    return certificate.checkIssued(new X509Certificate(this.rootPem)) && certificate.verify(new X509Certificate(this.rootPem).publicKey);
  }
}
