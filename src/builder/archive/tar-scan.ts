/**
 * A streaming tar scanner: fed the archive's bytes chunk by chunk, it records every entry's
 * header and where its data starts, never holding file data in memory. PAX (`x`, `g`) and GNU
 * long-name (`L`, `K`) records apply to the entry after them.
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
  ) {}

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && !this.ended) {
      const available = chunk.length - pos;
      if (this.skip > 0) {
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
  }

  /** Call at the end of the input: fails when it stopped mid-entry or held nothing. */
  finish(): RawEntry[] {
    if (this.meta || this.skip > 0 || this.headerFill > 0) throw invalid('the tar archive is truncated');
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
    this.skip = size + padding(size);
    if ([...pax.keys()].some((k) => k.startsWith('GNU.sparse'))) throw invalid(`tar entry ${JSON.stringify(name)} is a sparse file, which is not supported`);
    this.record(h.typeflag, name, linkname, h.mode, size);
  }

  private record(typeflag: string, name: string, linkname: string, mode: number, size: number): void {
    let type: RawEntry['type'];
    if (typeflag === '0' || typeflag === '\0' || typeflag === '7') type = name.endsWith('/') ? 'dir' : 'file';
    else if (typeflag === '5' || typeflag === 'D') type = 'dir';
    else if (typeflag === '2') type = 'symlink';
    else if (typeflag === '1') type = 'hardlink';
    else if (typeflag === '3' || typeflag === '4' || typeflag === '6') throw unsafe(name, 'is a device file or FIFO');
    else if (typeflag === 'V') return; // volume label
    else if (typeflag === 'S') throw invalid(`tar entry ${JSON.stringify(name)} is a sparse file, which is not supported`);
    else throw invalid(`tar entry ${JSON.stringify(name)} has the unsupported type ${JSON.stringify(typeflag)}`);
    const path = normaliseEntryPath(name);
    const entry: RawEntry = { path, rawName: name, type, mode, size: type === 'file' ? size : 0 };
    if (type === 'file') entry.source = { kind: 'tar', offset: this.offset };
    if (type === 'symlink') entry.linkTarget = linkname;
    if (type === 'hardlink') {
      try {
        entry.linkTarget = normaliseEntryPath(linkname);
      } catch {
        throw unsafe(name, `is a hardlink to ${JSON.stringify(linkname)}, outside the archive's root`);
      }
    }
    this.budget.add(entry.size);
    this.entries.push(entry);
  }
}
