/**
 * A pass-through stream that counts and SHA-256-hashes what flows through it (a backup being
 * written, a download being saved).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

export interface HashingStream {
  stream: Transform;
  /** Bytes seen so far. */
  size(): number;
  /** The SHA-256 (hex) of every byte seen; call once, after the stream ended. */
  sha256(): string;
}

export function hashingStream(): HashingStream {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, size: () => size, sha256: () => hash.digest('hex') };
}
