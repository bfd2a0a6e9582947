/**
 * The master-key keyring: envelope encryption with a workspace key derived from the master key.
 *
 * @module
 */
import { openSecret, sealSecret } from './envelope.js';
import type { Keyring } from './secrets.js';

/** A keyring over a 32-byte master key. */
export function masterKeyring(masterKey: Buffer): Keyring {
  return {
    seal: (id, value) => sealSecret(masterKey, id, value),
    open: (id, envelope) => openSecret(masterKey, id, envelope),
  };
}
