/**
 * The processes and temp dirs of a bench, and the `slipway server` most benches time against: on
 * loopback on a free port, with a fresh data dir, up once `/healthz` answers, the first admin's
 * token read from `<data-dir>/admin-token`. Everything made here is stopped (SIGTERM, then SIGKILL)
 * and removed by {@link stopAll}: call it in the bench's teardown.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { childEnv } from '../test/support/server-process.js';
import { freePort, stopChild } from './support.js';

const root = resolve(import.meta.dirname, '..');
const children = new Set<ChildProcess>();
const dirs = new Set<string>();

/** A fresh temp dir, removed by {@link stopAll}. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** Stops every process started here and removes every temp dir made here. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map(stopChild));
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** A long-running process started by {@link spawnServer}. */
export interface Spawned {
  child: ChildProcess;
  /** The last 8 KiB of its stdout and stderr, for error messages. */
  output(): string;
}

/** Spawns a long-running server in the repository's root, stopped by {@link stopAll}. */
export function spawnServer(cmd: string, argv: string[], env: NodeJS.ProcessEnv): Spawned {
  const child = spawn(cmd, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-8192));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => tail };
}

/** Polls `url` every 100 ms until it answers with one of `statuses`; fails when the server exits first or after 30 s. */
export async function waitFor(url: string, statuses: number[], server: Spawned): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (server.child.exitCode !== null) throw new Error(`${url}: the server exited (${server.child.exitCode}): ${server.output()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (statuses.includes(res.status)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up in 30 s: ${server.output()}`);
}

/** A running `slipway server` of a bench. */
export interface BenchServer {
  url: string;
  /** `127.0.0.1:PORT`, the registry host of image references. */
  host: string;
  /** The first admin's token. */
  token: string;
  dataDir: string;
  pid: number;
  /** A request to the API as the first admin, with `body` as JSON; fails unless the answer is 2xx. */
  api(method: string, path: string, body?: unknown): Promise<void>;
}

/** Options of {@link startSlipway}. */
export interface BenchServerOptions {
  /** Of the temp data dir's name. */
  prefix: string;
  /** Extra flags after `server --data-dir D --listen 127.0.0.1:PORT`. */
  args?: string[];
  /** SLIPWAY_LOG_LEVEL. @default 'warn' */
  logLevel?: string;
}

/** Starts `slipway server` (this checkout's bin/slipway; run `npm run build` first), without our SLIPWAY_* variables. */
export async function startSlipway(o: BenchServerOptions): Promise<BenchServer> {
  const dataDir = tempDir(o.prefix);
  const port = await freePort();
  const argv = [join(root, 'bin/slipway'), 'server', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, ...(o.args ?? [])];
  const server = spawnServer(process.execPath, argv, childEnv({ SLIPWAY_LOG_LEVEL: o.logLevel ?? 'warn' }));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/healthz`, [200], server);
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const api = async (method: string, path: string, body?: unknown): Promise<void> => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  };
  return { url, host: `127.0.0.1:${port}`, token, dataDir, pid: server.child.pid!, api };
}
