/**
 * Checking what another registry sends: a body read whole up to a limit, and a blob stream
 * whose sha256 (and size, when known) is checked as it flows, failing the stream on mismatch.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { SlipwayError } from '../../core/errors.js';

export function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function mismatch(what: string, registry: string, expected: string, actual: string): SlipwayError {
  return new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${registry} sent content for ${what} whose digest is ${actual}, not ${expected}; the registry or a proxy on the way changed it`);
}

/** Reads a response body whole, failing past `max` bytes. */
export async function readLimited(res: Response, max: number, what: string, registry: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const tooBig = (): SlipwayError => new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${registry} sent more than ${max} bytes for ${what}`);
  if (declared > max) {
    await res.body?.cancel();
    throw tooBig();
  }
  const parts: Buffer[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > max) throw tooBig();
      parts.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(parts);
}

/** The body as a Node stream that errors unless its bytes hash to `digest` (and total `size`). */
export function verifiedStream(res: Response, digest: string, size: number | undefined, what: string, registry: string): Readable {
  const hash = createHash('sha256');
  let seen = 0;
  const source = res.body ? Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>) : Readable.from([]);
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (size !== undefined && seen > size) return callback(new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${registry} sent more than ${size} bytes for ${what}`));
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const actual = `sha256:${hash.digest('hex')}`;
      if (size !== undefined && seen !== size) return callback(new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${registry} sent ${seen} bytes for ${what}, expected ${size}`));
      callback(actual === digest ? null : mismatch(what, registry, digest, actual));
    },
  });
  source.on('error', (error) => check.destroy(new SlipwayError('SLW_UPSTREAM_REGISTRY', `the download of ${what} from ${registry} broke off (${error.message}); try again`)));
  check.on('close', () => source.destroy());
  return source.pipe(check);
}
