/**
 * The herd rows of bench/registry.ts: `clients` curl processes pulling 32 MiB blobs at once, at
 * the protocol level, from Slipway and from the CNCF registry in the same run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from './support.js';

/** What the herd rows need of a registry under test. */
export interface HerdTarget {
  name: string;
  url: string;
  pid: number;
  repository(label: string): Promise<string>;
  pullHeaders(repository: string): Promise<Record<string, string>>;
  pushHeaders(repository: string): Promise<Record<string, string>>;
}

export interface HerdOptions {
  clients: number;
  rounds: number;
  runs: number;
  sh(cmd: string, argv: string[]): Promise<string>;
}

const MB = 1_000_000;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

// A herd pulling at once: `--clients` curl processes, each GETting a 32 MiB blob `--rounds` times
// over one kept-alive connection (protocol level, no image client).

const herdBlobBytes = 32 * 1024 * 1024;

/** Pushes `blob` into `repository` at the protocol level (POST, then PUT with the body); returns its digest. */
async function pushBlob(t: HerdTarget, repository: string, blob: Buffer): Promise<string> {
  const digest = `sha256:${sha256(blob)}`;
  const headers = await t.pushHeaders(repository);
  const start = await fetch(`${t.url}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers });
  await start.arrayBuffer();
  const location = start.headers.get('location');
  if (start.status !== 202 || !location) throw new Error(`${t.name}: POST upload answered ${start.status}`);
  const put = new URL(location, t.url);
  put.searchParams.set('digest', digest);
  const res = await fetch(put, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: blob });
  const body = await res.text();
  if (res.status !== 201) throw new Error(`${t.name}: PUT upload answered ${res.status} ${body}`);
  // One GET, hashed: the timed pulls below only count bytes.
  const check = await fetch(`${t.url}/v2/${repository}/blobs/${digest}`, { headers: await t.pullHeaders(repository) });
  const pulled = Buffer.from(await check.arrayBuffer());
  if (check.status !== 200 || `sha256:${sha256(pulled)}` !== digest) throw new Error(`${t.name}: GET blob answered ${check.status} with ${pulled.length} bytes of other content`);
  return digest;
}

/**
 * Seconds for `clients` curl processes to GET the blob `rounds` times each, all at once. The
 * pull token goes in a curl config file (not the command line); every transfer must answer 200
 * with the whole blob.
 */
async function herdPull(t: HerdTarget, repository: string, digests: string[], scratch: string, o: HerdOptions): Promise<{ seconds: number; cpu: number }> {
  const headers = Object.entries(await t.pullHeaders(repository)).map(([k, v]) => `header = "${k}: ${v}"`);
  const configs = digests.map((digest, i) => {
    const config = join(scratch, `herd-${t.name}-${i}.curlrc`);
    const transfers = Array.from({ length: o.rounds }, () => `url = "${t.url}/v2/${repository}/blobs/${digest}"\noutput = "/dev/null"`);
    writeFileSync(config, [...headers, 'no-progress-meter', 'write-out = "%{http_code} %{size_download}\\n"', ...transfers, ''].join('\n'), { mode: 0o600 });
    return config;
  });
  const cpuBefore = cpuSeconds(t.pid);
  const start = performance.now();
  const outputs = await Promise.all(configs.map((config) => o.sh('curl', ['--config', config])));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = cpuSeconds(t.pid) - cpuBefore;
  for (const line of outputs.join('').trim().split('\n')) {
    if (line !== `200 ${herdBlobBytes}`) throw new Error(`${t.name}: a herd pull answered ${line}`);
  }
  return { seconds: elapsed, cpu };
}

/** CPU seconds (user + system) process `pid` has used so far (Linux, 100 ticks a second). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface HerdRun {
  /** MB/s over all clients. */
  rate: number;
  /** The server's CPU seconds per GB sent. */
  cpuPerGB: number;
}

/** The two herd workloads: every client pulling the same blob (a herd rollout), or each its own. */
const herdWorkloads = [
  { name: 'one 32 MiB blob', shared: true },
  { name: 'each its own 32 MiB blob', shared: false },
] as const;

/** Each workload's runs per target (`runs` of them, the registries alternating). */
export async function herd<T extends HerdTarget>(targets: readonly T[], scratch: string, o: HerdOptions): Promise<Map<string, Map<T, HerdRun[]>>> {
  const { clients, rounds, runs } = o;
  const repositories = new Map<T, string>();
  for (const t of targets) repositories.set(t, await t.repository('herd'));
  // Blob 0 is the shared one; blobs 0..clients-1 are the clients' own.
  const digests = new Map<T, string[]>(targets.map((t) => [t, []]));
  for (let i = 0; i < clients; i++) {
    const blob = randomBytes(herdBlobBytes);
    for (const t of targets) digests.get(t)!.push(await pushBlob(t, repositories.get(t)!, blob));
  }
  const results = new Map<string, Map<T, HerdRun[]>>();
  const bytes = clients * rounds * herdBlobBytes;
  for (const w of herdWorkloads) {
    const byTarget = new Map<T, HerdRun[]>(targets.map((t) => [t, []]));
    results.set(w.name, byTarget);
    for (let i = 1; i <= runs; i++) {
      for (const t of targets) {
        const own = digests.get(t)!;
        const { seconds: s, cpu } = await herdPull(t, repositories.get(t)!, w.shared ? own.map(() => own[0]!) : own, scratch, o);
        const run = { rate: bytes / MB / s, cpuPerGB: cpu / (bytes / 1e9) };
        byTarget.get(t)!.push(run);
        process.stderr.write(`${t.name} herd pull (${w.name}) run ${i}: ${clients} × ${rounds} × 32 MiB in ${s.toFixed(2)} s, ${run.rate.toFixed(0)} MB/s, server CPU ${cpu.toFixed(2)} s\n`);
      }
    }
  }
  return results;
}

export function herdTable<T extends HerdTarget>(results: Map<string, Map<T, HerdRun[]>>, slipway: T, peer: T, o: HerdOptions): string {
  const { clients, rounds } = o;
  const lines = [
    `| concurrent blob pulls (curl, protocol level) | Slipway MB/s | docker-registry MB/s | Slipway / docker-registry | Slipway runs | docker-registry runs | server CPU s per GB, Slipway / docker-registry |`,
    `|---|---|---|---|---|---|---|`,
  ];
  for (const [name, byTarget] of results) {
    const rate = (t: T) => median(byTarget.get(t)!.map((r) => r.rate));
    const cpu = (t: T) => median(byTarget.get(t)!.map((r) => r.cpuPerGB));
    const all = (t: T) => byTarget.get(t)!.map((r) => r.rate.toFixed(0)).join(', ');
    lines.push(`| ${clients} clients × ${rounds} GETs of ${name} | ${rate(slipway).toFixed(0)} | ${rate(peer).toFixed(0)} | ${(rate(slipway) / rate(peer)).toFixed(2)} | ${all(slipway)} | ${all(peer)} | ${cpu(slipway).toFixed(2)} / ${cpu(peer).toFixed(2)} |`);
  }
  return `${lines.join('\n')}\n`;
}

