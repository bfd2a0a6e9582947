/**
 * Test fixtures: raw tar and zip writers that can write anything (hostile names, devices, links
 * out of the root, lying sizes), a JAR built with the machine's JDK, and base images.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { crc32 } from '../archive/file-io.js';
import type { BaseImage } from '../types.js';

export interface TarFixture {
  name: string;
  /** Tar typeflag: '0' file (default), '1' hardlink, '2' symlink, '3' char device, '5' dir, … */
  type?: string;
  content?: string | Buffer;
  mode?: number;
  linkname?: string;
  /** How to store a name over 100 bytes. */
  longName?: 'gnu' | 'pax';
  /** Extra PAX records for this entry. */
  pax?: Record<string, string>;
}

function header(name: string, type: string, size: number, mode: number, linkname: string, gnu = false): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  b.write(`${mode.toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  b.write('0000000\0', 108, 'latin1');
  b.write('0000000\0', 116, 'latin1');
  b.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  b.write('14000000000\0', 136, 'latin1');
  b.fill(0x20, 148, 156);
  b.write(type, 156, 'latin1');
  b.write(linkname, 157, 100, 'utf8');
  b.write(gnu ? 'ustar  \0' : 'ustar\x0000', 257, 'latin1');
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

const pad = (n: number): Buffer => Buffer.alloc((512 - (n % 512)) % 512);

function paxData(records: Record<string, string>): Buffer {
  let out = '';
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
    out += `${len}${body}`;
  }
  return Buffer.from(out);
}

export function tarBytes(entries: TarFixture[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const content = typeof e.content === 'string' ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0));
    const type = e.type ?? '0';
    const records: Record<string, string> = { ...e.pax };
    let name = e.name;
    if (e.longName === 'gnu') {
      const data = Buffer.from(`${e.name}\0`);
      parts.push(header('././@LongLink', 'L', data.length, 0, '', true), data, pad(data.length));
      name = e.name.slice(0, 99);
    } else if (e.longName === 'pax') {
      records.path = e.name;
      name = e.name.slice(0, 99);
    }
    if (Object.keys(records).length > 0) {
      const data = paxData(records);
      parts.push(header('PaxHeader/x', 'x', data.length, 0o644, ''), data, pad(data.length));
    }
    const size = type === '0' ? content.length : 0;
    parts.push(header(name, type, size, e.mode ?? (type === '5' ? 0o755 : 0o644), e.linkname ?? '', e.longName === 'gnu'));
    if (size > 0) parts.push(content, pad(size));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const tarGzBytes = (entries: TarFixture[]): Buffer => gzipSync(tarBytes(entries));

const mib = 1024 * 1024;
let zeroMember: Buffer | undefined;

/**
 * A decompression bomb: a tar.gz with `before` entries, then an entry `name` of tar type `type`
 * ('5' directory, '2' symlink, '0' file, …) whose header declares `size` bytes of data, that
 * many zeros, then `after` entries. The zeros are gzip members of 1 MiB each (a gzip stream may
 * be several members), so 2.5 GiB take about 2.6 MB and nothing big is ever held in memory.
 */
export function gzipBomb(bomb: { name: string; type: string; size: number }, before: TarFixture[] = [], after: TarFixture[] = []): Buffer {
  zeroMember ??= gzipSync(Buffer.alloc(mib), { level: 9 });
  const whole = Math.floor(bomb.size / mib);
  const rest = bomb.size - whole * mib;
  return Buffer.concat([
    gzipSync(Buffer.concat([tarBytes(before, false), header(bomb.name, bomb.type, bomb.size, bomb.type === '5' ? 0o755 : 0o644, bomb.type === '2' ? 'target' : '')])),
    ...Array.from({ length: whole }, () => zeroMember as Buffer),
    gzipSync(Buffer.concat([Buffer.alloc(rest), pad(bomb.size), tarBytes(after)])),
  ]);
}

export interface ZipFixture {
  name: string;
  content?: string | Buffer;
  /** 0 stored, 8 deflated (default). */
  method?: number;
  /** Unix mode including type bits (e.g. 0o100755, 0o120777 for a symlink). */
  unixMode?: number;
  /** Lie about the uncompressed size in the central directory. */
  declaredSize?: number;
}

export function zipBytes(entries: ZipFixture[], options: { zip64?: boolean; prefix?: Buffer } = {}): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = options.prefix?.length ?? 0;
  const start = offset;
  for (const e of entries) {
    const data = typeof e.content === 'string' ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0));
    const method = e.method ?? 8;
    const packed = method === 8 ? deflateRawSync(data) : data;
    const name = Buffer.from(e.name);
    const crc = crc32(data);
    const size = e.declaredSize ?? data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, packed);
    const z64 = options.zip64 === true;
    const extra = Buffer.alloc(z64 ? 28 : 0);
    if (z64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(size), 4);
      extra.writeBigUInt64LE(BigInt(packed.length), 12);
      extra.writeBigUInt64LE(BigInt(offset - start), 20);
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(e.unixMode !== undefined ? 0x031e : 0x0014, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(method, 10);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(z64 ? 0xffffffff : packed.length, 20);
    c.writeUInt32LE(z64 ? 0xffffffff : size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(extra.length, 30);
    c.writeUInt32LE(((e.unixMode ?? 0) << 16) >>> 0, 38);
    c.writeUInt32LE(z64 ? 0xffffffff : offset - start, 42);
    central.push(c, name, extra);
    offset += 30 + name.length + packed.length;
  }
  const cd = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (options.zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeBigUInt64LE(BigInt(entries.length), 24);
    rec.writeBigUInt64LE(BigInt(entries.length), 32);
    rec.writeBigUInt64LE(BigInt(cd.length), 40);
    rec.writeBigUInt64LE(BigInt(offset - start), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(options.zip64 ? 0xffff : entries.length, 8);
  eocd.writeUInt16LE(options.zip64 ? 0xffff : entries.length, 10);
  eocd.writeUInt32LE(options.zip64 ? 0xffffffff : cd.length, 12);
  eocd.writeUInt32LE(options.zip64 ? 0xffffffff : offset - start, 16);
  return Buffer.concat([options.prefix ?? Buffer.alloc(0), ...locals, cd, ...tail, eocd]);
}

/** Compiles a tiny class and packs it with the JDK's `jar` tool (with or without Main-Class). */
export function buildJar(dir: string, options: { mainClass?: boolean; extra?: Record<string, string> } = {}): string {
  const src = join(dir, 'src', 'demo');
  const classes = join(dir, 'classes');
  mkdirSync(src, { recursive: true });
  mkdirSync(classes, { recursive: true });
  writeFileSync(join(src, 'Main.java'), 'package demo;\npublic class Main { public static void main(String[] a) { System.out.println("hello from slipway"); } }\n');
  for (const [name, text] of Object.entries(options.extra ?? {})) {
    mkdirSync(join(classes, name, '..'), { recursive: true });
    writeFileSync(join(classes, name), text);
  }
  execFileSync('javac', ['-d', classes, join(src, 'Main.java')]);
  const jar = join(dir, options.mainClass === false ? 'lib.jar' : 'app.jar');
  const args = ['--create', '--file', jar, ...(options.mainClass === false ? [] : ['--main-class', 'demo.Main']), '-C', classes, '.'];
  execFileSync('jar', args);
  return jar;
}

/** An OCI base image that looks like a JRE/node/nginx base (no real layers needed to build). */
export function fakeBase(family: 'oci' | 'docker' = 'oci', config: Record<string, unknown> = {}): BaseImage {
  return {
    reference: 'registry.example/base/runtime:1',
    manifestDigest: `sha256:${'b'.repeat(64)}`,
    family,
    config: {
      architecture: 'amd64',
      os: 'linux',
      created: '2024-05-01T10:00:00Z',
      container: 'f00',
      config: { Hostname: 'builder-7', Env: ['PATH=/usr/local/bin:/usr/bin:/bin'], Cmd: ['base-cmd'], ...config },
      rootfs: { type: 'layers', diff_ids: [`sha256:${'d'.repeat(64)}`] },
      history: [{ created: '2024-05-01T10:00:00Z', created_by: 'base' }],
    },
    layers: [{ mediaType: family === 'oci' ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: `sha256:${'c'.repeat(64)}`, size: 123 }],
  };
}
