/**
 * What an archive holds, independent of its format, and the checks every tree passes before the
 * builder uses it: one entry per path (the last one wins, as when extracting), nothing inside a
 * file or a symlink, every link resolving inside the root, hardlinks turned into file copies.
 *
 * @module
 */
import { SlipwayError } from '../../core/errors.js';
import type { ArchiveLimits } from '../types.js';
import { ancestorsOf, resolveSymlink, unsafe } from './paths.js';

/** Where a file's bytes are: an offset in a plain tar file (or in the scratch file of a tar.gz's files), or a zip entry. */
export type EntrySource =
  | { kind: 'tar'; offset: number }
  | { kind: 'zip'; headerOffset: number; method: number; compressedSize: number; crc32: number };

export interface ArchiveEntry {
  /** Normalised path (see `paths.ts`). */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  /** Permission bits as the archive recorded them (0 when it did not). */
  mode: number;
  /** Bytes of a file; 0 otherwise. */
  size: number;
  /** A symlink's target, as written. */
  linkTarget?: string;
  /** A file's bytes. */
  source?: EntrySource;
}

export type ArchiveFormat = 'zip' | 'tar' | 'tar.gz';

export interface Archive {
  format: ArchiveFormat;
  /** Checked entries, sorted by path. */
  entries: ArchiveEntry[];
  /** Streams a file entry's bytes: exactly `entry.size` of them, CRC-checked for zip. */
  read(entry: ArchiveEntry): AsyncIterable<Buffer>;
  /** Reads a small file entry whole; fails when it is larger than `max` bytes. */
  readSmall(entry: ArchiveEntry, max: number): Promise<Buffer>;
  /** Closes the file and removes any scratch copy. */
  close(): Promise<void>;
}

/** An entry as a reader found it: may still be a hardlink to another entry's path. */
export interface RawEntry extends Omit<ArchiveEntry, 'type'> {
  type: ArchiveEntry['type'] | 'hardlink';
  /** The name as it appeared in the archive, for messages. */
  rawName: string;
}

/** Limits reached while reading → SLW_ARTIFACT_TOO_LARGE. */
export function tooLarge(what: string): SlipwayError {
  return new SlipwayError('SLW_ARTIFACT_TOO_LARGE', `the artifact ${what}; make it smaller or raise the server's limit (SLIPWAY_MAX_UNPACKED_BYTES, SLIPWAY_MAX_UNPACK_RATIO)`);
}

/**
 * Counts entries and bytes as a reader goes, failing as soon as a limit is passed. Two counts
 * of bytes, each held to the same limits: what the entries declare (every entry, whatever its
 * type: a directory's or a link's data is unpacked too, even though it is never used), checked
 * before any of it is unpacked, and what was actually decompressed. The limits are a total
 * (`maxUnpackedBytes`) and a ratio to the packed artifact's size (`maxRatio`, once past
 * `ratioFloorBytes`, so tiny archives of tiny files are never refused for their tar padding).
 */
export class Budget {
  private entries = 0;
  private declared = 0;
  private inflated = 0;

  constructor(
    private readonly limits: ArchiveLimits,
    /** Size of the artifact as uploaded (compressed). */
    private readonly packedBytes: number,
  ) {}

  /** Counts `entries` more entries whose data is `size` more bytes. */
  add(size: number, entries = 1): void {
    this.entries += entries;
    this.declared += size;
    if (this.entries > this.limits.maxEntries) throw tooLarge(`has more than ${this.limits.maxEntries} entries`);
    this.check(this.declared);
  }

  /** Counts `bytes` more bytes decompressed (headers, padding and data of any entry). */
  inflate(bytes: number): void {
    this.inflated += bytes;
    this.check(this.inflated);
  }

  private check(bytes: number): void {
    const { maxUnpackedBytes, maxRatio, ratioFloorBytes } = this.limits;
    if (bytes > maxUnpackedBytes) throw tooLarge(`unpacks to more than ${maxUnpackedBytes} bytes`);
    if (bytes > ratioFloorBytes && bytes > this.packedBytes * maxRatio) {
      throw tooLarge(`unpacks to more than ${maxRatio} times its packed size of ${this.packedBytes} bytes (a decompression bomb?)`);
    }
  }
}

/** Deduplicates, resolves hardlinks and checks the tree; the result is sorted by path. */
export function finishTree(raw: readonly RawEntry[]): ArchiveEntry[] {
  const byPath = new Map<string, RawEntry>();
  for (const entry of raw) {
    if (entry.path === '') continue; // the root directory itself ("./")
    if (entry.type === 'hardlink') {
      const target = byPath.get(entry.linkTarget ?? '');
      if (!target || target.type !== 'file') throw unsafe(entry.rawName, `is a hardlink to ${JSON.stringify(entry.linkTarget)}, which is not an earlier file of the archive`);
      byPath.delete(entry.path);
      byPath.set(entry.path, { ...target, path: entry.path, rawName: entry.rawName, mode: entry.mode || target.mode });
      continue;
    }
    byPath.delete(entry.path);
    byPath.set(entry.path, entry);
  }
  const entries = [...byPath.values()].map(({ rawName: _rawName, ...rest }) => rest as ArchiveEntry);
  checkTree(entries, new Map([...byPath.values()].map((e) => [e.path, e.rawName])));
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Checks a tree (after any re-rooting): no entry inside a file or a symlink, every symlink
 * resolving inside the root. `names` maps paths to the names to show in messages.
 */
export function checkTree(entries: readonly ArchiveEntry[], names?: ReadonlyMap<string, string>): void {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const links = new Map<string, string>();
  for (const e of entries) if (e.type === 'symlink') links.set(e.path, e.linkTarget ?? '');
  const name = (path: string): string => names?.get(path) ?? path;
  for (const e of entries) {
    for (const dir of ancestorsOf(e.path)) {
      const holder = byPath.get(dir);
      if (holder?.type === 'symlink') throw unsafe(name(e.path), `is inside the symlink ${JSON.stringify(name(dir))}`);
      if (holder?.type === 'file') {
        throw new SlipwayError('SLW_ARTIFACT_INVALID', `archive entry ${JSON.stringify(name(e.path))} is inside ${JSON.stringify(name(dir))}, which is a file; repack the artifact`);
      }
    }
    if (e.type === 'symlink' && resolveSymlink(e.path, e.linkTarget ?? '', links) === undefined) {
      throw unsafe(name(e.path), `is a symlink to ${JSON.stringify(e.linkTarget)}, which resolves outside the archive's root (or loops)`);
    }
  }
}

/** Re-roots a tree at `dir` (a single top-level directory), dropping `dir` itself; re-checks links. */
export function stripTopDirectory(entries: readonly ArchiveEntry[], dir: string): ArchiveEntry[] {
  const prefix = `${dir}/`;
  const out = entries.filter((e) => e.path.startsWith(prefix)).map((e) => ({ ...e, path: e.path.slice(prefix.length) }));
  checkTree(out);
  return out;
}

/** The single top-level directory every entry is under, if there is one. */
export function singleTopDirectory(entries: readonly ArchiveEntry[]): string | undefined {
  const tops = new Set(entries.map((e) => e.path.split('/')[0] ?? ''));
  if (tops.size !== 1) return undefined;
  const [top] = tops;
  if (top === undefined) return undefined;
  const self = entries.find((e) => e.path === top);
  if (self && self.type !== 'dir') return undefined;
  return entries.some((e) => e.path !== top) ? top : undefined;
}
