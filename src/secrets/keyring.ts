/**
 * The master-key keyring: envelope encryption with a workspace key derived from the master key.
 *
 * @module
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { openSecret, sealSecret } from './envelope.js';
import type { Keyring } from './secrets.js';

/** A keyring over a 32-byte master key. */
export function masterKeyring(masterKey: Buffer): Keyring {
  return {
    seal: (id, value) => sealSecret(masterKey, id, value),
    open: (id, envelope) => openSecret(masterKey, id, envelope),
    mac: (purpose, data) => createHmac('sha256', Buffer.from(hkdfSync('sha256', masterKey, Buffer.from('slipway'), Buffer.from(`mac-key/v1/${purpose}`), 32))).update(data).digest('hex'),
  };
}
