/**
 * A streaming tar scanner: fed the archive's bytes chunk by chunk, it records every entry's
 * header and where its data starts, never holding file data in memory. PAX (`x`, `g`) and GNU
 * long-name (`L`, `K`) records apply to the entry after them.
 *
 * Every entry's declared size counts against the budget when its header is read, whatever its
 * type, so an oversized directory or link entry is refused before its data is read. In compact
 * mode (a tar.gz, unpacked to a scratch file) `push` hands back only the bytes of regular files,
 * and a file's offset is where its bytes are in that compacted output: the data of directories,
 * links and other entries is skipped, never written.
 *
 * @module
 */
import { Budget, tooLarge, type RawEntry } from './entries.js';
import { blockSize, gnuLongText, invalid, isZeroBlock, looksLikeTar, parseHeader, parsePax } from './tar-header.js';
import { normaliseEntryPath, unsafe } from './paths.js';

/** Largest PAX or GNU long-name payload accepted. */
const maxMetaBytes = 1024 * 1024;

interface Meta {
  kind: string;
  chunks: Buffer[];
  remaining: number;
  padding: number;
}

const padding = (size: number): number => (blockSize - (size % blockSize)) % blockSize;

export class TarScanner {
  readonly entries: RawEntry[] = [];
  /** True once the end-of-archive block was seen; later bytes are ignored. */
  ended = false;
  /** Bytes consumed so far. */
  offset = 0;
  /** Bytes of regular files handed back by `push` so far (compact mode). */
  private kept = 0;
  /** Data bytes of the current entry still to come, and whether they are a file's (kept). */
  private data = 0;
  private keepData = false;
  private readonly header = Buffer.alloc(blockSize);
  private headerFill = 0;
  private skip = 0;
  private meta: Meta | undefined;
  private local = new Map<string, string>();
  private readonly global = new Map<string, string>();
  private longName: string | undefined;
  private longLink: string | undefined;
  private headers = 0;

  constructor(
    private readonly budget: Budget,
    private readonly maxHeaders: number,
    /** Offsets into the compacted file bytes instead of into the input. */
    private readonly compact = false,
  ) {}

  /** Scans `chunk`; returns the parts of it that are regular files' bytes (kept in compact mode). */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < chunk.length && !this.ended) {
      const available = chunk.length - pos;
      if (this.data > 0) {
        const n = Math.min(this.data, available);
        if (this.keepData) {
          out.push(chunk.subarray(pos, pos + n));
          this.kept += n;
        }
        this.data -= n;
        pos += n;
        this.offset += n;
      } else if (this.skip > 0) {
        const n = Math.min(this.skip, available);
        this.skip -= n;
        pos += n;
        this.offset += n;
      } else if (this.meta) {
        const meta = this.meta;
        const n = Math.min(meta.remaining, available);
        meta.chunks.push(chunk.subarray(pos, pos + n));
        meta.remaining -= n;
        pos += n;
        this.offset += n;
        if (meta.remaining === 0) this.endMeta(meta);
      } else {
        const n = Math.min(blockSize - this.headerFill, available);
        chunk.copy(this.header, this.headerFill, pos, pos + n);
        this.headerFill += n;
        pos += n;
        this.offset += n;
        if (this.headerFill === blockSize) {
          this.headerFill = 0;
          this.onHeader(this.header);
        }
      }
    }
    return out;
  }

  /** Call at the end of the input: fails when it stopped mid-entry or held nothing. */
  finish(): RawEntry[] {
    if (this.meta || this.data > 0 || this.skip > 0 || this.headerFill > 0) throw invalid('the tar archive is truncated');
    if (this.entries.length === 0) throw invalid('the archive is empty');
    return this.entries;
  }

  private endMeta(meta: Meta): void {
    this.meta = undefined;
    this.skip = meta.padding;
    const data = Buffer.concat(meta.chunks);
    if (meta.kind === 'L') this.longName = gnuLongText(data);
    else if (meta.kind === 'K') this.longLink = gnuLongText(data);
    else for (const [k, v] of parsePax(data)) (meta.kind === 'g' ? this.global : this.local).set(k, v);
  }

  private onHeader(block: Buffer): void {
    if (isZeroBlock(block)) {
      this.ended = true;
      return;
    }
    this.headers += 1;
    if (this.headers > this.maxHeaders) throw tooLarge(`has more than ${this.maxHeaders} tar headers`);
    if (this.headers === 1 && !looksLikeTar(block)) throw invalid('the file is not a tar archive');
    const h = parseHeader(block);
    if ('xgLK'.includes(h.typeflag)) {
      if (h.size > maxMetaBytes) throw invalid(`the tar archive has a ${h.size}-byte extended header`);
      this.budget.add(h.size, 0);
      this.meta = { kind: h.typeflag, chunks: [], remaining: h.size, padding: padding(h.size) };
      if (h.size === 0) this.endMeta(this.meta);
      return;
    }
    const pax = new Map([...this.global, ...this.local]);
    const name = pax.get('path') ?? this.longName ?? h.name;
    const linkname = pax.get('linkpath') ?? this.longLink ?? h.linkname;
    const paxSize = pax.get('size');
    const size = paxSize !== undefined ? Number(paxSize) : h.size;
    if (!Number.isSafeInteger(size) || size < 0) throw invalid(`tar entry ${JSON.stringify(name)} has a malformed size`);
    this.local = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    if ([...pax.keys()].some((k) => k.startsWith('GNU.sparse'))) throw invalid(`tar entry ${JSON.stringify(name)} is a sparse file, which is not supported`);
    // Counted whatever the entry is: its data is decompressed either way.
    this.budget.add(size, 0);
    this.keepData = this.record(h.typeflag, name, linkname, h.mode, size) && this.compact;
    this.data = size;
    this.skip = padding(size);
  }

  /** Records an entry; true when it is a regular file (whose data is used). */
  private record(typeflag: string, name: string, linkname: string, mode: number, size: number): boolean {
    let type: RawEntry['type'];
    if (typeflag === '0' || typeflag === '\0' || typeflag === '7') type = name.endsWith('/') ? 'dir' : 'file';
    else if (typeflag === '5' || typeflag === 'D') type = 'dir';
    else if (typeflag === '2') type = 'symlink';
    else if (typeflag === '1') type = 'hardlink';
    else if (typeflag === '3' || typeflag === '4' || typeflag === '6') throw unsafe(name, 'is a device file or FIFO');
    else if (typeflag === 'V') return false; // volume label
    else if (typeflag === 'S') throw invalid(`tar entry ${JSON.stringify(name)} is a sparse file, which is not supported`);
    else throw invalid(`tar entry ${JSON.stringify(name)} has the unsupported type ${JSON.stringify(typeflag)}`);
    const path = normaliseEntryPath(name);
    const entry: RawEntry = { path, rawName: name, type, mode, size: type === 'file' ? size : 0 };
    if (type === 'file') entry.source = { kind: 'tar', offset: this.compact ? this.kept : this.offset };
    if (type === 'symlink') entry.linkTarget = linkname;
    if (type === 'hardlink') {
      try {
        entry.linkTarget = normaliseEntryPath(linkname);
      } catch {
        throw unsafe(name, `is a hardlink to ${JSON.stringify(linkname)}, outside the archive's root`);
      }
    }
    this.budget.add(0);
    this.entries.push(entry);
    return type === 'file';
  }
}
