/**
 * Receiving an uploaded artifact: streamed to a file in the data dir's build area, capped at the
 * server's limit (the upload is cut off and the file removed past it), never held in memory.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SlipwayError } from '../core/errors.js';
import { newId } from '../platform/ids.js';

export interface BuildArea {
  /** Scratch directory of this build (artifact, unpacked files, layer files). */
  dir: string;
  artifact: string;
  remove(): Promise<void>;
}

/** Creates `<dataDir>/builds/<id>/` for one build. */
export async function openBuildArea(dataDir: string): Promise<BuildArea> {
  const dir = join(dataDir, 'builds', newId('bld'));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return { dir, artifact: join(dir, 'artifact'), remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Writes the request body to `file`, hashing it on the way; SLW_ARTIFACT_TOO_LARGE past `limit`
 * bytes. Returns its size and sha256 digest.
 */
export async function receiveArtifact(body: Readable, file: string, limit: number, declaredLength: number | undefined): Promise<{ size: number; digest: string }> {
  if (declaredLength !== undefined && declaredLength > limit) throw tooLarge(limit, declaredLength);
  let size = 0;
  const hash = createHash('sha256');
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > limit) return done(tooLarge(limit));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(body, cap, createWriteStream(file, { mode: 0o600 }));
  if (size === 0) throw new SlipwayError('SLW_ARTIFACT_INVALID', 'the artifact is empty; upload a JAR, a tar/tar.gz or a zip');
  return { size, digest: `sha256:${hash.digest('hex')}` };
}

function tooLarge(limit: number, size?: number): SlipwayError {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return new SlipwayError('SLW_ARTIFACT_TOO_LARGE', `the artifact${size === undefined ? '' : ` (${mb(size)})`} is larger than this server accepts (${mb(limit)}); raise SLIPWAY_MAX_ARTIFACT_BYTES or upload a smaller artifact`);
}
