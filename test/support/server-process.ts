/**
 * The real executable in a child process: `slipway server` with its logs captured, and `slipway`
 * client commands. Every process and temp dir made here is tracked; call {@link cleanup} in
 * afterAll/afterEach so nothing outlives the test file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const slipwayBin = join(repoRoot, 'bin', 'slipway');

const live = new Set<ChildProcess>();
const dirs = new Set<string>();

/** A fresh temp dir, removed by {@link cleanup}. */
export function tempDir(prefix = 'slipway-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** Kills every process still running (SIGKILL), waits for them, and removes the temp dirs. */
export async function cleanup(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGKILL');
        }),
    ),
  );
  live.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** The environment for a child: ours without SLIPWAY_* or colour settings, plus `extra`. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SLIPWAY_') && k !== 'FORCE_COLOR') env[k] = v;
  env.NO_COLOR = '1';
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function track(child: ChildProcess): { output: () => string; stdout: () => string; stderr: () => string; exited: Promise<Exit>; onData: (fn: () => void) => void } {
  live.add(child);
  let out = '';
  let err = '';
  let all = '';
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    all += s;
    for (const fn of listeners) fn();
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    all += s;
    for (const fn of listeners) fn();
  });
  const exited = new Promise<Exit>((done) =>
    child.once('close', (code, signal) => {
      live.delete(child);
      for (const fn of listeners) fn();
      done({ code, signal });
    }),
  );
  return { output: () => all, stdout: () => out, stderr: () => err, exited, onData: (fn) => listeners.add(fn) };
}

/** A running `slipway server` child process. */
export interface ServerProcess {
  url: string;
  dataDir: string;
  /** The first admin's token from `<data-dir>/admin-token`. */
  adminToken: string;
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  logs(): string;
  /** Resolves with the logs once `test(logs)` holds; rejects when the process exits first or after `timeoutMs`. */
  waitForLogs(test: (logs: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Sends `signal` (default SIGTERM), waits for the exit, returns the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL, then waits for the process to be gone. */
  kill9(): Promise<void>;
}

/** Options of {@link startServerProcess} and {@link runServerToExit}. */
export interface ServerOptions {
  /** Default: a new temp dir. */
  dataDir?: string;
  /** Extra flags after `server --data-dir D --listen 127.0.0.1:0`. */
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Replace the default `--listen 127.0.0.1:0`. */
  listen?: string;
}

function serverArgs(dataDir: string, o: ServerOptions): string[] {
  return [slipwayBin, 'server', '--data-dir', dataDir, '--listen', o.listen ?? '127.0.0.1:0', ...(o.args ?? [])];
}

/** The `url` of the JSON log line whose message says the server is listening. */
export function listeningUrl(logs: string): string | undefined {
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { url?: unknown; msg?: unknown };
      if (typeof entry.url === 'string' && typeof entry.msg === 'string' && entry.msg.includes('listening')) return entry.url;
    } catch {
      // a partial line; the next chunk completes it
    }
  }
  return undefined;
}

/** Starts `slipway server` and waits until it listens. */
export async function startServerProcess(o: ServerOptions = {}): Promise<ServerProcess> {
  const dataDir = o.dataDir ?? tempDir();
  const child = spawn(process.execPath, serverArgs(dataDir, o), { cwd: repoRoot, env: childEnv(o.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const t = track(child);
  let exit: Exit | undefined;
  void t.exited.then((e) => (exit = e));

  const waitForLogs = (test: (logs: string) => boolean, timeoutMs = 30_000) =>
    new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`timed out waiting for the server's logs; logs so far:\n${t.output()}`)), timeoutMs);
      const check = () => {
        if (test(t.output())) {
          clearTimeout(timer);
          done(t.output());
        } else if (exit) {
          clearTimeout(timer);
          fail(new Error(`the server exited (code ${exit.code}, signal ${exit.signal}) first; logs:\n${t.output()}`));
        }
      };
      t.onData(check);
      check();
    });

  await waitForLogs((logs) => listeningUrl(logs) !== undefined);
  const url = listeningUrl(t.output()) as string;
  return {
    url,
    dataDir,
    adminToken: readFileSync(join(dataDir, 'admin-token'), 'utf8').trim(),
    pid: child.pid as number,
    logs: t.output,
    waitForLogs,
    stop: async (signal = 'SIGTERM') => {
      if (!exit) child.kill(signal);
      return (await t.exited).code;
    },
    kill9: async () => {
      if (!exit) child.kill('SIGKILL');
      await t.exited;
    },
  };
}

/** Output of a process that ran to its end. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `slipway server` expecting it to exit on its own (a refused start); kills it after `timeoutMs`. */
export async function runServerToExit(o: ServerOptions = {}, timeoutMs = 30_000): Promise<Finished> {
  const dataDir = o.dataDir ?? tempDir();
  return runToExit(serverArgs(dataDir, o), { env: o.env }, timeoutMs);
}

async function runToExit(args: string[], o: { env?: Record<string, string | undefined>; input?: string | Buffer }, timeoutMs: number): Promise<Finished> {
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: childEnv(o.env), stdio: ['pipe', 'pipe', 'pipe'] });
  const t = track(child);
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(o.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await t.exited;
  clearTimeout(timer);
  if (signal === 'SIGKILL') throw new Error(`${args.slice(1).join(' ')} did not finish in ${timeoutMs} ms; output:\n${t.output()}`);
  return { code, stdout: t.stdout(), stderr: t.stderr() };
}

/** A finished CLI command. */
export interface CliResult extends Finished {
  /** stdout parsed as JSON; throws unless it is exactly one JSON document. */
  json<T = Record<string, unknown>>(): T;
}

/** Options of {@link cli}. */
export interface CliOptions {
  server?: string;
  token?: string;
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed (stdin is never a terminal here). */
  input?: string | Buffer;
  /**
   * Killed (and the test failed) after this long. @default 120_000: a command that follows a
   * deploy (start, readiness, drain, stop) takes tens of seconds on a loaded two-core machine.
   */
  timeoutMs?: number;
}

/** Runs `slipway ARGS` with SLIPWAY_SERVER / SLIPWAY_TOKEN set from the options. */
export async function cli(args: string[], o: CliOptions = {}): Promise<CliResult> {
  const env = { SLIPWAY_SERVER: o.server, SLIPWAY_TOKEN: o.token, ...o.env };
  const r = await runToExit([slipwayBin, ...args], { env, input: o.input }, o.timeoutMs ?? 120_000);
  return {
    ...r,
    json: <T>() => {
      try {
        return JSON.parse(r.stdout) as T;
      } catch (error) {
        throw new Error(`slipway ${args.join(' ')}: stdout is not one JSON document (${(error as Error).message}):\n${r.stdout}\nstderr:\n${r.stderr}`);
      }
    },
  };
}
