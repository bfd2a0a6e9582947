/**
 * Blob bytes on the filesystem, content-addressed: `<root>/blobs/sha256/<2 hex>/<64 hex>`.
 * Uploads are written to `<root>/uploads/<id>` and become a blob only by an atomic rename after
 * their digest was verified and the file fsynced, so a killed upload never becomes a corrupt
 * blob. Which repository may read a blob is the metadata's business, not this file's.
 *
 * @module
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

/** A stored blob opened for reading. */
export interface BlobFile {
  /** Reads up to `length` bytes at `position` into the start of `buffer`; 0 at the end of the file. */
  read(buffer: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/** An upload's bytes so far and the running hash (kept in memory between chunks). */
interface OpenUpload {
  size: number;
  hash: Hash;
}

export class BlobStore {
  private readonly open = new Map<string, OpenUpload>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly appending = new Set<string>();

  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    await mkdir(join(this.root, 'uploads'), { recursive: true });
  }

  blobPath(digest: string): string {
    const hex = digest.slice('sha256:'.length);
    return join(this.root, 'blobs', 'sha256', hex.slice(0, 2), hex);
  }

  uploadPath(id: string): string {
    return join(this.root, 'uploads', id);
  }

  /** Size of a stored blob's file, or null. */
  async size(digest: string): Promise<number | null> {
    try {
      return (await stat(this.blobPath(digest))).size;
    } catch {
      return null;
    }
  }

  /**
   * Opens a stored blob for positioned reads into the caller's buffers (the blob GET path
   * reuses its buffers; a read stream allocates a new one per chunk). The caller closes it.
   */
  async openBlob(digest: string): Promise<BlobFile> {
    const handle = await open(this.blobPath(digest), 'r');
    return {
      read: async (buffer, length, position) => (await handle.read(buffer, 0, length, position)).bytesRead,
      close: () => handle.close(),
    };
  }

  readAll(digest: string): Promise<Buffer> {
    return readFile(this.blobPath(digest));
  }

  /** Starts an empty upload file. */
  async startUpload(id: string): Promise<void> {
    await (await open(this.uploadPath(id), 'wx', 0o600)).close();
    this.open.set(id, { size: 0, hash: createHash('sha256') });
  }

  /**
   * Appends a stream to an upload; returns the new size. `expected` is the chunk's declared
   * length (more or fewer bytes is an error); `maxTotal` caps the upload's whole size (more is a
   * {@link BlobTooLargeError}). On any error the chunk is rolled back.
   */
  async append(id: string, body: Readable, expected?: number, maxTotal = Number.POSITIVE_INFINITY): Promise<number> {
    // One chunk at a time per session: a second one while the first streams would interleave
    // bytes in the file behind the running hash's back.
    if (this.appending.has(id)) throw new ConcurrentAppendError();
    this.appending.add(id);
    try {
      return await this.appendAlone(id, body, expected, maxTotal);
    } finally {
      this.appending.delete(id);
    }
  }

  /** True while a chunk of upload `id` is being received (an idle sweep leaves it alone). */
  isReceiving(id: string): boolean {
    return this.appending.has(id);
  }

  private async appendAlone(id: string, body: Readable, expected: number | undefined, maxTotal: number): Promise<number> {
    const state = await this.state(id);
    const before = state.size;
    const hash = state.hash.copy();
    let written = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        written += chunk.length;
        if (expected !== undefined && written > expected) return done(new RangeError('chunk longer than its Content-Length or Content-Range'));
        if (before + written > maxTotal) return done(new BlobTooLargeError(maxTotal));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, counter, createWriteStream(this.uploadPath(id), { flags: 'a' }));
      if (expected !== undefined && written !== expected) throw new RangeError(`chunk has ${written} bytes, ${expected} were declared`);
    } catch (error) {
      await truncate(this.uploadPath(id), before);
      throw error;
    }
    this.open.set(id, { size: before + written, hash });
    return before + written;
  }

  /** The current size of an upload (from memory, or the file after a restart). */
  async uploadSize(id: string): Promise<number> {
    return (await this.state(id)).size;
  }

  /** The digest of everything uploaded so far. */
  async uploadDigest(id: string): Promise<string> {
    return `sha256:${(await this.state(id)).hash.copy().digest('hex')}`;
  }

  /**
   * Makes an upload a blob: fsync, then rename into place (or drop it when the blob exists).
   * The caller has checked the digest with {@link uploadDigest}.
   */
  async commit(id: string, digest: string): Promise<number> {
    if (this.appending.has(id)) throw new ConcurrentAppendError();
    const file = this.uploadPath(id);
    const handle = await open(file, 'r+');
    const size = (await handle.stat()).size;
    const expected = this.open.get(id)?.size;
    if (expected !== undefined && expected !== size) {
      await handle.close();
      throw new Error(`upload ${id} holds ${size} bytes on disk but ${expected} were hashed; refusing to commit`);
    }
    await handle.sync();
    await handle.close();
    const target = this.blobPath(digest);
    await mkdir(join(target, '..'), { recursive: true });
    if ((await this.size(digest)) === size) await unlink(file);
    else await rename(file, target);
    this.open.delete(id);
    return size;
  }

  /** Writes a small blob (a manifest, a builder's config) in one go, atomically. */
  async putBytes(digest: string, bytes: Buffer, tempId: string): Promise<void> {
    if ((await this.size(digest)) === bytes.length) return;
    const file = this.uploadPath(tempId);
    const handle = await open(file, 'w', 0o600);
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    await mkdir(join(this.blobPath(digest), '..'), { recursive: true });
    await rename(file, this.blobPath(digest));
  }

  /** Moves a file already written elsewhere in the data dir (a built layer) into place. */
  async adoptFile(digest: string, file: string): Promise<void> {
    await mkdir(join(this.blobPath(digest), '..'), { recursive: true });
    if ((await this.size(digest)) !== null) return rm(file, { force: true });
    await rename(file, this.blobPath(digest));
  }

  async cancelUpload(id: string): Promise<void> {
    this.open.delete(id);
    await rm(this.uploadPath(id), { force: true });
  }

  async deleteBlob(digest: string): Promise<void> {
    await rm(this.blobPath(digest), { force: true });
  }

  /** Upload files on disk with their modification time (for expiring abandoned ones). */
  async listUploads(): Promise<{ id: string; mtimeMs: number }[]> {
    const out: { id: string; mtimeMs: number }[] = [];
    for (const name of await readdir(join(this.root, 'uploads'))) {
      const s = await stat(this.uploadPath(name)).catch(() => null);
      if (s) out.push({ id: name, mtimeMs: s.mtimeMs });
    }
    return out;
  }

  /**
   * Runs `fn` while no other holder of the same digest's lock runs: a blob commit and its
   * link, and GC's delete of that blob, never interleave (one server process per data dir).
   */
  async withDigestLock<T>(digest: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(digest) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(digest, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(digest) === settled) this.locks.delete(digest);
    }
  }

  private async state(id: string): Promise<OpenUpload> {
    const known = this.open.get(id);
    if (known) return known;
    // After a restart: rebuild the running hash from the file.
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(this.uploadPath(id)) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    const state = { size, hash };
    this.open.set(id, state);
    return state;
  }
}

/** A chunk arrived while another chunk of the same upload was still streaming. */
export class ConcurrentAppendError extends Error {
  constructor() {
    super('another chunk of this upload is still being received; send chunks one after the other');
  }
}

/** An upload grew past the largest blob the registry accepts. */
export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`blob is larger than the ${limit} bytes this registry accepts`);
  }
}

async function truncate(file: string, size: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
}
