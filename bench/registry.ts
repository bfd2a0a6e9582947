/**
 * Slipway's built-in OCI registry against Distribution (Debian's docker-registry 2.8), side by
 * side in one run, with the ratio. Both run on loopback with minimal logging: `slipway server`
 * (SLIPWAY_LOG_LEVEL=warn, token auth on) and `docker-registry serve` (log level warn, access log
 * off, filesystem driver, in-memory blob descriptor cache, no auth).
 *
 * End to end, with the real skopeo client: a one-layer image of 1, 10 and 100 MB of random
 * (incompressible) bytes, written here as an OCI layout, is pushed with
 * `skopeo copy oci:DIR:v1 docker://HOST/REPO:v1` into a fresh repository each time (a fresh
 * Slipway project; skopeo's blob-info cache is deleted before every copy so nothing is mounted
 * across repositories) and pulled back with `skopeo copy docker://… dir:FRESH`. Each measurement
 * is repeated `--runs` times, the registries alternating; the median is reported.
 *
 * Hot paths with autocannon (in this process): GET manifest by digest (with Accept) and HEAD
 * blob, `--seconds` each with `--connections` connections. Slipway's requests carry a pull JWT
 * from `/v2/token` (fetched right before each measurement; it lives 300 s).
 *
 * A herd pulling at once (issue 12): `--clients` blobs of 32 MiB random bytes pushed at the
 * protocol level (POST + PUT), then `--clients` curl processes at once, each GETting a blob
 * `--rounds` times over one kept-alive connection (Slipway's with a pull JWT), every answer
 * checked for 200 and the whole size: all clients the same blob (a herd rollout pulling one
 * layer), then each its own. MB/s over all clients, and the server's CPU seconds per GB sent
 * (from /proc, steadier than MB/s on a shared machine). `--runs` times, the registries
 * alternating.
 *
 *   npm run build
 *   npx tsx bench/registry.ts [--runs 3] [--seconds 5] [--connections 10] [--clients 8] [--rounds 16] [--write docs/benchmarks.md]
 *   npx tsx bench/registry.ts --only herd [--runs 5]      # the herd rows alone, printed
 *
 * Needs skopeo, curl and docker-registry (Debian packages) and root (skopeo's blob-info cache is
 * /var/lib/containers/cache/blob-info-cache-v1.boltdb). Everything it starts it stops, even on
 * failure, and its temp dirs are removed.
 */
import autocannon from 'autocannon';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { herd, herdTable } from './registry-herd.js';
import { spawnServer, startSlipway, stopAll, tempDir, waitFor } from './server.js';
import { freePort, median, report } from './support.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    clients: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '16' },
    only: { type: 'string' },
    write: { type: 'string' },
  },
});
const runs = Number(args.runs);
const seconds = Number(args.seconds);
const connections = Number(args.connections);
const clients = Number(args.clients);
const rounds = Number(args.rounds);
if (![runs, seconds, connections, clients, rounds].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--runs, --seconds, --connections, --clients and --rounds take positive integers');
if (args.only !== undefined && args.only !== 'herd') throw new Error('--only takes herd (the concurrent blob pull rows alone)');
if (args.only !== undefined && args.write) throw new Error('--write takes the whole report; run without --only');
const herdOnly = args.only === 'herd';

const blobInfoCache = '/var/lib/containers/cache/blob-info-cache-v1.boltdb';
const sizesMB = [1, 10, 100];
const MB = 1_000_000;
const run = promisify(execFile);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAll().finally(() => process.exit(130));
  });
}

/** Runs a command (argument array) with a time limit; fails with its stderr. */
async function sh(cmd: string, argv: string[], timeoutMs = 300_000): Promise<string> {
  try {
    return (await run(cmd, argv, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${cmd} ${argv.join(' ')} failed: ${e.stderr || e.message}`);
  }
}


// ---------------------------------------------------------------------------------------------
// The two registries.

interface Target {
  name: string;
  url: string;
  host: string;
  /** Makes a fresh repository and returns its name. */
  repository(label: string): Promise<string>;
  /** skopeo credential flags for a push (`dest`) or pull (`src`). */
  creds(side: 'dest' | 'src'): string[];
  /** Authorization header for a pull request on `repository` (fetched now). */
  pullHeaders(repository: string): Promise<Record<string, string>>;
  /** Authorization header for a push (and pull) on `repository` (fetched now). */
  pushHeaders(repository: string): Promise<Record<string, string>>;
  /** The server's process, for its CPU time. */
  pid: number;
}

async function startSlipwayTarget(): Promise<Target> {
  const { url, host, token, pid, api } = await startSlipway({ prefix: 'slipway-bench-registry-' });
  await api('POST', '/api/v1/workspaces', { name: 'bench', tier: 'high' });
  const jwtHeaders = async (repository: string, actions: string): Promise<Record<string, string>> => {
    const q = new URLSearchParams({ service: 'slipway', scope: `repository:${repository}:${actions}` });
    const res = await fetch(`${url}/v2/token?${q.toString()}`, { headers: { authorization: `Basic ${Buffer.from(`bench:${token}`).toString('base64')}` } });
    if (!res.ok) throw new Error(`/v2/token: ${res.status} ${await res.text()}`);
    const { token: jwt } = (await res.json()) as { token: string };
    return { authorization: `Bearer ${jwt}` };
  };
  return {
    name: 'Slipway',
    pid,
    url,
    host,
    repository: async (label) => {
      await api('POST', '/api/v1/workspaces/bench/projects', { name: label });
      return `bench/${label}`;
    },
    creds: (side) => [`--${side}-creds`, `bench:${token}`],
    pullHeaders: (repository) => jwtHeaders(repository, 'pull'),
    pushHeaders: (repository) => jwtHeaders(repository, 'pull,push'),
  };
}

async function startDistribution(): Promise<Target> {
  const dir = tempDir('slipway-bench-distribution-');
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: {level: warn, accesslog: {disabled: true}}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}, cache: {blobdescriptor: inmemory}}`,
      `http: {addr: 127.0.0.1:${port}}`,
      '',
    ].join('\n'),
  );
  const server = spawnServer('docker-registry', ['serve', config], process.env);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/v2/`, [200], server);
  return { name: 'docker-registry', pid: server.child.pid!, url, host: `127.0.0.1:${port}`, repository: async (label) => `bench/${label}`, creds: () => [], pullHeaders: async () => ({}), pushHeaders: async () => ({}) };
}

// ---------------------------------------------------------------------------------------------
// Test images: one layer of random bytes, as an OCI image layout written here.

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A ustar archive with one regular file `name` holding `content`. */
function tarOf(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (value: string, offset: number, length: number) => header.write(value, offset, length, 'ascii');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0') + '\0';
  field(name, 0, 100);
  field(octal(0o644, 8), 100, 8);
  field(octal(0, 8), 108, 8);
  field(octal(0, 8), 116, 8);
  field(octal(content.length, 12), 124, 12);
  field(octal(1, 12), 136, 12);
  field('        ', 148, 8);
  field('0', 156, 1);
  field('ustar\0', 257, 6);
  field('00', 263, 2);
  let sum = 0;
  for (const byte of header) sum += byte;
  field(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const padding = (512 - (content.length % 512)) % 512;
  return Buffer.concat([header, content, Buffer.alloc(padding + 1024)]);
}

interface TestImage {
  sizeMB: number;
  layout: string;
  /** Bytes of all blobs (layer + config) and the manifest: what a push uploads. */
  bytes: number;
  layerDigest: string;
}

function writeBlob(layout: string, data: Buffer, mediaType: string): { mediaType: string; digest: string; size: number } {
  const hex = sha256(data);
  writeFileSync(join(layout, 'blobs', 'sha256', hex), data);
  return { mediaType, digest: `sha256:${hex}`, size: data.length };
}

function makeImage(dir: string, sizeMB: number): TestImage {
  const layout = join(dir, `image-${sizeMB}mb`);
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const tar = tarOf('random.bin', randomBytes(sizeMB * MB));
  const layer = writeBlob(layout, gzipSync(tar, { level: 1 }), 'application/vnd.oci.image.layer.v1.tar+gzip');
  const config = writeBlob(
    layout,
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(tar)}`] } })),
    'application/vnd.oci.image.config.v1+json',
  );
  const manifest = writeBlob(layout, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] })), 'application/vnd.oci.image.manifest.v1+json');
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { sizeMB, layout, bytes: layer.size + config.size + manifest.size, layerDigest: layer.digest };
}

// ---------------------------------------------------------------------------------------------
// Measurements.

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}


interface Transfer {
  push: number[];
  pull: number[];
}

/** Pushes `image` into a fresh repository, pulls it into a fresh dir; returns the seconds of each. */
async function pushAndPull(t: Target, image: TestImage, label: string, scratch: string): Promise<{ push: number; pull: number; repository: string }> {
  const repository = await t.repository(label);
  const ref = `docker://${t.host}/${repository}:v1`;
  rmSync(blobInfoCache, { force: true });
  const push = await timed(() => sh('skopeo', ['copy', '-q', '--dest-tls-verify=false', ...t.creds('dest'), `oci:${image.layout}:v1`, ref]));
  rmSync(blobInfoCache, { force: true });
  const out = join(scratch, `pull-${label}`);
  const pull = await timed(() => sh('skopeo', ['copy', '-q', '--src-tls-verify=false', ...t.creds('src'), ref, `dir:${out}`]));
  const pulled = statSync(join(out, image.layerDigest.slice('sha256:'.length))).size;
  rmSync(out, { recursive: true, force: true });
  if (pulled < image.sizeMB * MB) throw new Error(`${t.name}: pulled layer of ${repository} has ${pulled} bytes`);
  return { push, pull, repository };
}

interface HotRow {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/**
 * autocannon's response parser (http-parser-js) does not know its request was a HEAD, so it
 * waits for the Content-Length bytes that never come and every HEAD times out. Answering "skip
 * the body" from the parser's headers-complete callback (what Node's own client does for HEAD)
 * fixes that; autocannon installs the callback after `setupClient`, hence the accessor.
 */
const kOnHeadersComplete = (createRequire(createRequire(import.meta.url).resolve('autocannon'))('http-parser-js') as { HTTPParser: { kOnHeadersComplete: number } }).HTTPParser.kOnHeadersComplete;
function headResponsesHaveNoBody(client: autocannon.Client): void {
  const parser = (client as unknown as { parser: object }).parser;
  let handler: ((...info: unknown[]) => unknown) | undefined;
  Object.defineProperty(parser, kOnHeadersComplete, {
    configurable: true,
    get: () => (...info: unknown[]) => {
      handler?.(...info);
      return true;
    },
    set: (fn: (...info: unknown[]) => unknown) => (handler = fn),
  });
}

async function hot(t: Target, method: 'GET' | 'HEAD', path: string, headers: Record<string, string>): Promise<HotRow> {
  const probe = await fetch(`${t.url}${path}`, { method, headers });
  await probe.arrayBuffer();
  if (probe.status !== 200) throw new Error(`${t.name} ${method} ${path}: ${probe.status}`);
  const result = await autocannon({ url: `${t.url}${path}`, method, connections, duration: seconds, headers, ...(method === 'HEAD' ? { setupClient: headResponsesHaveNoBody } : {}) });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx + result.timeouts };
}

// ---------------------------------------------------------------------------------------------
const fmtS = (s: number) => s.toFixed(2);
const fmtRate = (bytes: number, s: number) => (bytes / MB / s).toFixed(0);

async function versions(): Promise<{ distribution: string; skopeo: string; curl: string }> {
  const distribution = (await sh('docker-registry', ['--version'])).trim().split(/\s+/).pop() ?? '?';
  const skopeo = (await sh('skopeo', ['--version'])).trim().replace(/^skopeo version\s*/, '');
  const curl = (await sh('curl', ['--version'])).split(/\s+/)[1] ?? '?';
  return { distribution, skopeo, curl };
}

async function main(): Promise<string> {
  const scratch = tempDir('slipway-bench-images-');
  const slipway = await startSlipwayTarget();
  const peer = await startDistribution();
  const targets = [slipway, peer] as const;
  const herdOptions = { clients, rounds, runs, sh };
  const herdLines = herdTable(await herd(targets, scratch, herdOptions), slipway, peer, herdOptions);
  const v = await versions();
  const command = ['npx', 'tsx', 'bench/registry.ts', ...process.argv.slice(2)].join(' ');
  const machine = `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} (nproc ${(await sh('nproc', [])).trim()}), Node ${process.version}, docker-registry ${v.distribution}, skopeo ${v.skopeo}, curl ${v.curl}; ${new Date().toISOString().slice(0, 10)}.`;
  if (herdOnly) return `${machine}\nCommand: \`${command}\`. Median of ${runs} runs; MB = 10^6 bytes.\n\n${herdLines}`;
  process.stderr.write(`writing test images (${sizesMB.join(', ')} MB) …\n`);
  const images = sizesMB.map((size) => makeImage(scratch, size));
  const transfers = new Map<string, Transfer>();
  const firstRepo = new Map<Target, string>();

  for (const image of images) {
    for (let i = 1; i <= runs; i++) {
      for (const t of targets) {
        const label = `r${image.sizeMB}mb-${i}`;
        const r = await pushAndPull(t, image, label, scratch);
        if (image.sizeMB === sizesMB[0] && !firstRepo.has(t)) firstRepo.set(t, r.repository);
        const key = `${t.name}/${image.sizeMB}`;
        const m = transfers.get(key) ?? { push: [], pull: [] };
        m.push.push(r.push);
        m.pull.push(r.pull);
        transfers.set(key, m);
        process.stderr.write(`${t.name} ${image.sizeMB} MB run ${i}: push ${fmtS(r.push)} s, pull ${fmtS(r.pull)} s\n`);
      }
    }
  }

  // Hot paths on the smallest image of each registry.
  const accept = 'application/vnd.oci.image.manifest.v1+json';
  const hotRows: Array<{ name: string; rows: Map<Target, HotRow> }> = [];
  const small = images[0]!;
  const digests = new Map<Target, string>();
  for (const t of targets) {
    const repository = firstRepo.get(t)!;
    const res = await fetch(`${t.url}/v2/${repository}/manifests/v1`, { method: 'HEAD', headers: { accept, ...(await t.pullHeaders(repository)) } });
    const digest = res.headers.get('docker-content-digest');
    if (res.status !== 200 || !digest) throw new Error(`${t.name}: HEAD manifest answered ${res.status}`);
    digests.set(t, digest);
  }
  const workloads: Array<{ name: string; method: 'GET' | 'HEAD'; path: (t: Target) => string; headers: Record<string, string> }> = [
    { name: 'GET manifest by digest', method: 'GET', path: (t) => `/v2/${firstRepo.get(t)!}/manifests/${digests.get(t)!}`, headers: { accept } },
    { name: 'HEAD blob', method: 'HEAD', path: (t) => `/v2/${firstRepo.get(t)!}/blobs/${small.layerDigest}`, headers: {} },
  ];
  for (const w of workloads) {
    const rows = new Map<Target, HotRow>();
    for (const t of targets) {
      rows.set(t, await hot(t, w.method, w.path(t), { ...w.headers, ...(await t.pullHeaders(firstRepo.get(t)!)) }));
      process.stderr.write(`${t.name} ${w.name}: ${rows.get(t)!.rps.toFixed(0)} req/s\n`);
    }
    hotRows.push({ name: w.name, rows });
  }

  const lines = [
    `| operation | Slipway s (MB/s) | docker-registry s (MB/s) | Slipway / docker-registry (MB/s) |`,
    `|---|---|---|---|`,
  ];
  for (const op of ['push', 'pull'] as const) {
    for (const image of images) {
      const s = median(transfers.get(`${slipway.name}/${image.sizeMB}`)![op]);
      const p = median(transfers.get(`${peer.name}/${image.sizeMB}`)![op]);
      lines.push(`| skopeo ${op} 1 layer of ${image.sizeMB} MB | ${fmtS(s)} (${fmtRate(image.bytes, s)}) | ${fmtS(p)} (${fmtRate(image.bytes, p)}) | ${(p / s).toFixed(2)} |`);
    }
  }
  const hotLines = [
    `| hot path (${connections} connections, ${seconds} s) | Slipway req/s | docker-registry req/s | Slipway / docker-registry | Slipway p50 / p99 ms | docker-registry p50 / p99 ms | errors |`,
    `|---|---|---|---|---|---|---|`,
    ...hotRows.map(({ name, rows }) => {
      const s = rows.get(slipway)!;
      const p = rows.get(peer)!;
      return `| ${name} | ${s.rps.toFixed(0)} | ${p.rps.toFixed(0)} | ${(s.rps / p.rps).toFixed(2)} | ${s.p50} / ${s.p99} | ${p.p50} / ${p.p99} | ${s.errors + p.errors} |`;
    }),
  ];
  const header = [
    machine,
    `Command: \`${command}\`. Median of ${runs} runs; each push goes to a fresh repository with skopeo's blob-info cache deleted; MB = 10^6 bytes of blobs + manifest.`,
  ].join('\n');
  return `${header}\n\n${lines.join('\n')}\n\n${hotLines.join('\n')}\n\n${herdLines}`;
}

await report(main, stopAll, { file: args.write, key: 'registry', title: 'Registry: Slipway vs docker-registry' });
