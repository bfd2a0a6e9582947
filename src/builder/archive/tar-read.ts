/**
 * Tar and tar.gz artifacts. One streaming pass records the entries; the regular files of a
 * tar.gz are unpacked to one scratch file in the build's directory during that pass (their
 * bytes only: no headers, nor the data of directories, links or other entries), so file bytes
 * can later be read by offset in any order (the layer writer wants them sorted by path). Every
 * byte decompressed counts against the budget, so the pass stops at the limits (see `Budget`).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { isSlipwayError } from '../../core/errors.js';
import type { ArchiveLimits } from '../types.js';
import { Budget, finishTree, type Archive, type ArchiveEntry } from './entries.js';
import { collect, readRange } from './file-io.js';
import { invalid } from './tar-header.js';
import { TarScanner } from './tar-scan.js';

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let done = 0;
  while (done < chunk.length) done += (await fh.write(chunk, done, chunk.length - done)).bytesWritten;
}

export async function openTar(path: string, gzip: boolean, workDir: string, limits: ArchiveLimits): Promise<Archive> {
  const budget = new Budget(limits, (await stat(path)).size);
  const scanner = new TarScanner(budget, limits.maxEntries * 4 + 16, gzip);
  const tarPath = gzip ? join(workDir, `artifact-${randomUUID()}.files`) : path;
  const out = gzip ? await open(tarPath, 'wx') : undefined;
  let fh: FileHandle | undefined;
  let entries: ArchiveEntry[] = [];
  try {
    // Errors thrown while consuming are kept: the pipeline may report the abort it caused instead.
    let failure: unknown;
    const consume = async (source: AsyncIterable<Buffer>): Promise<void> => {
      try {
        for await (const chunk of source) {
          if (gzip) budget.inflate(chunk.length);
          const files = scanner.push(chunk);
          if (out) for (const part of files) await writeAll(out, part);
          if (scanner.ended) return;
        }
      } catch (error) {
        failure = error;
        throw error;
      }
    };
    try {
      const input = createReadStream(path, { highWaterMark: 1024 * 1024 });
      if (gzip) await pipeline(input, createGunzip({ chunkSize: 256 * 1024 }), consume);
      else await pipeline(input, consume);
    } catch (caught) {
      const error = failure ?? caught;
      // Returning early at the end-of-archive block aborts the rest of the input: expected.
      if (failure !== undefined || !(scanner.ended && (error as { code?: unknown }).code === 'ABORT_ERR')) {
        if (isSlipwayError(error)) throw error;
        if (String((error as { code?: unknown }).code ?? '').startsWith('Z_')) throw invalid('the gzip stream is corrupt or truncated');
        throw error;
      }
    }
    entries = finishTree(scanner.finish());
    await out?.close();
    fh = await open(tarPath, 'r');
  } catch (error) {
    await out?.close().catch(() => undefined);
    if (gzip) await rm(tarPath, { force: true });
    throw error;
  }
  const handle = fh;
  const short = (): Error => invalid('the tar archive is truncated');
  const read = (entry: ArchiveEntry): AsyncIterable<Buffer> => {
    if (entry.source?.kind !== 'tar') throw new Error(`${entry.path} is not a tar file entry`);
    return readRange(handle, entry.source.offset, entry.size, short);
  };
  return {
    format: gzip ? 'tar.gz' : 'tar',
    entries,
    read,
    readSmall: (entry, max) => collect(read(entry), max, `archive entry ${JSON.stringify(entry.path)}`),
    close: async () => {
      await handle.close();
      if (gzip) await rm(tarPath, { force: true });
    },
  };
}
