/**
 * A directory the browser picked, packed as `slipway build DIR` packs one: a tar.gz with entries
 * in byte order of their paths, owner 0, a fixed mtime, files 0644 (a browser knows no modes nor
 * links: a link comes as the file it points to), parent directories explicit, `.git` left out.
 * Long paths go into a PAX header. Gzip by the browser's CompressionStream.
 */

export interface PickedFile {
  /** Path inside the directory, `/`-separated, without a leading `/`. */
  path: string;
  data: Uint8Array;
}

const block = 512;
const encoder = new TextEncoder();

function text(buf: Uint8Array, value: string | Uint8Array, offset: number, length: number): void {
  const bytes = typeof value === 'string' ? encoder.encode(value) : value;
  buf.set(bytes.subarray(0, length), offset);
}

const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, '0')}\0`;

function header(name: Uint8Array, type: '0' | '5' | 'x', mode: number, size: number): Uint8Array {
  const b = new Uint8Array(block);
  text(b, name, 0, 100);
  text(b, octal(mode, 8), 100, 8);
  text(b, octal(0, 8), 108, 8);
  text(b, octal(0, 8), 116, 8);
  text(b, octal(size, 12), 124, 12);
  text(b, octal(1, 12), 136, 12);
  b.fill(0x20, 148, 156);
  text(b, type, 156, 1);
  text(b, 'ustar\0', 257, 6);
  text(b, '00', 263, 2);
  text(b, octal(0, 8), 329, 8);
  text(b, octal(0, 8), 337, 8);
  let sum = 0;
  for (const x of b) sum += x;
  text(b, `${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return b;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = encoder.encode(body).length;
  let length = n + 1;
  while (String(length).length + n !== length) length = String(length).length + n;
  return `${length}${body}`;
}

const pad = (size: number) => new Uint8Array((block - (size % block)) % block);

function entry(path: string, type: '0' | '5', size: number): Uint8Array[] {
  const name = encoder.encode(type === '5' ? `${path}/` : path);
  if (name.length <= 100) return [header(name, type, type === '5' ? 0o755 : 0o644, size)];
  const pax = encoder.encode(paxRecord('path', type === '5' ? `${path}/` : path));
  return [header(encoder.encode('PaxHeaders/entry'), 'x', 0o644, pax.length), pax, pad(pax.length), header(name.subarray(0, 100), type, type === '5' ? 0o755 : 0o644, size)];
}

const byteOrder = (a: string, b: string) => {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
};

/** The files to pack: without anything under a `.git` directory, and refused when none is left or a path is unsafe. */
export function packable(files: PickedFile[]): PickedFile[] {
  const kept = files.filter((f) => !f.path.split('/').includes('.git'));
  for (const f of kept) if (f.path === '' || f.path.startsWith('/') || f.path.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new Error(`cannot pack ${JSON.stringify(f.path)}: not a plain relative path`);
  if (kept.length === 0) throw new Error('the directory holds no file to build');
  return kept;
}

/** The tar (uncompressed) of `files`. */
export function tarOf(files: PickedFile[]): Uint8Array[] {
  const kept = packable(files);
  const dirs = new Set<string>();
  for (const f of kept) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const all = [...[...dirs].map((path) => ({ path, dir: true as const })), ...kept.map((f) => ({ path: f.path, dir: false as const, data: f.data }))].sort((a, b) => byteOrder(a.path, b.path));
  const out: Uint8Array[] = [];
  for (const e of all) {
    if (e.dir) {
      out.push(...entry(e.path, '5', 0));
      continue;
    }
    out.push(...entry(e.path, '0', e.data.length), e.data, pad(e.data.length));
  }
  out.push(new Uint8Array(block * 2));
  return out;
}

/** The tar.gz of `files`, as a Blob to upload. */
export async function tarGz(files: PickedFile[]): Promise<Blob> {
  const tar = new Blob(tarOf(files) as unknown as ConstructorParameters<typeof Blob>[0]);
  return new Response(tar.stream().pipeThrough(new CompressionStream('gzip'))).blob();
}
