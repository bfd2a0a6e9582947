/**
 * Envelope encryption of secret values with AES-256-GCM.
 *
 *   master key (32 bytes, a file)
 *     └─ HKDF-SHA256 → workspace key (one per workspace, never stored)
 *          └─ wraps a fresh data key per secret version (AES-256-GCM)
 *               └─ encrypts the value (AES-256-GCM)
 *
 * Both encryptions bind the secret's identity (workspace, project, scope, name, version) as
 * additional authenticated data, so a ciphertext copied to another row, name or version fails
 * to decrypt instead of yielding a wrong secret.
 *
 * Stored form: `v1.<key iv>.<wrapped key + tag>.<value iv>.<ciphertext + tag>` (base64url).
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { SlipwayError } from '../core/errors.js';

/** The identity a secret version's ciphertext is bound to. */
export interface SecretIdentity {
  workspaceId: string;
  projectId: string;
  /** The environment id, or `base`. */
  scope: string;
  name: string;
  version: number;
}

const ivBytes = 12;
const tagBytes = 16;

function aad(kind: 'value' | 'key', id: SecretIdentity): Buffer {
  return Buffer.from(`slipway-secret/v1/${kind}/${id.workspaceId}/${id.projectId}/${id.scope}/${id.name}/${id.version}`, 'utf8');
}

/** Derives the workspace key from the master key (HKDF-SHA256, bound to the workspace id). */
export function workspaceKey(masterKey: Buffer, workspaceId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.from('slipway'), Buffer.from(`workspace-key/v1/${workspaceId}`), 32));
}

/** A fingerprint of the master key, stored to detect a server started with the wrong key. */
export function masterKeyCheck(masterKey: Buffer): string {
  return createHmac('sha256', masterKey).update('slipway master key check v1').digest('hex').slice(0, 32);
}

function gcmEncrypt(key: Buffer, plaintext: Buffer, additional: Buffer): { iv: Buffer; sealed: Buffer } {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(additional);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, sealed: Buffer.concat([body, cipher.getAuthTag()]) };
}

function gcmDecrypt(key: Buffer, iv: Buffer, sealed: Buffer, additional: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(additional);
  decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - tagBytes)), decipher.final()]);
}

/** Encrypts `value` for the secret version `id`. */
export function sealSecret(masterKey: Buffer, id: SecretIdentity, value: string): string {
  const dataKey = randomBytes(32);
  try {
    const wrapped = gcmEncrypt(workspaceKey(masterKey, id.workspaceId), dataKey, aad('key', id));
    const body = gcmEncrypt(dataKey, Buffer.from(value, 'utf8'), aad('value', id));
    return ['v1', wrapped.iv, wrapped.sealed, body.iv, body.sealed].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  } finally {
    dataKey.fill(0);
  }
}

/** Decrypts a stored envelope; throws when it was tampered with or belongs to another identity. */
export function openSecret(masterKey: Buffer, id: SecretIdentity, envelope: string): string {
  const parts = envelope.split('.');
  if (parts.length !== 5 || parts[0] !== 'v1') throw new SlipwayError('SLW_INTERNAL', `secret ${id.name} v${id.version} has an unknown envelope format`);
  const [keyIv, wrappedKey, iv, sealed] = parts.slice(1).map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer, Buffer];
  try {
    const dataKey = gcmDecrypt(workspaceKey(masterKey, id.workspaceId), keyIv, wrappedKey, aad('key', id));
    try {
      return gcmDecrypt(dataKey, iv, sealed, aad('value', id)).toString('utf8');
    } finally {
      dataKey.fill(0);
    }
  } catch (error) {
    throw new SlipwayError('SLW_INTERNAL', `secret ${id.name} v${id.version} failed authentication: wrong master key or altered data`, { cause: error });
  }
}
