/**
 * One `caddy run` child process: spawned with a config file, its output passed on line by line,
 * its exit observable, stopped with SIGTERM and then SIGKILL.
 *
 * The child gets a minimal environment (PATH, and HOME/XDG directories inside Slipway's state
 * directory) so that nothing of Slipway's own environment reaches it and nothing it stores (the
 * autosave is off anyway, but Caddy's storage and the smallstep truststore look at HOME) lands in
 * the user's home.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Where a log line came from. */
export type LogStream = 'stdout' | 'stderr';

/** How a child process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running (or ended) `caddy run`. */
export interface CaddyProcess {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  /** When it was spawned (ms since the epoch). */
  readonly startedAt: number;
  /** Resolves once the process has ended (also when it could not be spawned at all). */
  readonly exited: Promise<ProcessExit>;
  /** True once {@link exited} has resolved. */
  hasExited(): boolean;
  /** The last lines it printed, oldest first (for error messages). */
  recentLogs(): string[];
}

const RECENT_LINES = 20;

/** Spawns `binary run --config configFile` with `stateDir` as its working and home directory. */
export function spawnCaddy(options: {
  binary: string;
  configFile: string;
  stateDir: string;
  onLog: (line: string, stream: LogStream) => void;
}): CaddyProcess {
  const home = join(options.stateDir, 'home');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
  };
  // cwd is the state dir, never the user's: `caddy run` loads ./Caddyfile when one is there.
  const child = spawn(options.binary, ['run', '--config', options.configFile], {
    cwd: options.stateDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const recent: string[] = [];
  const onLine = (stream: LogStream) => (line: string) => {
    recent.push(line);
    if (recent.length > RECENT_LINES) recent.shift();
    options.onLog(line, stream);
  };
  createInterface({ input: child.stdout! }).on('line', onLine('stdout'));
  createInterface({ input: child.stderr! }).on('line', onLine('stderr'));

  let ended = false;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = true;
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      // Spawning failed (ENOENT, EACCES): there will be no 'exit' event.
      if (child.pid === undefined) {
        ended = true;
        onLine('stderr')(`cannot start ${options.binary}: ${error.message}`);
        resolve({ code: null, signal: null });
      }
    });
  });
  return {
    child,
    pid: child.pid,
    startedAt: Date.now(),
    exited,
    hasExited: () => ended,
    recentLogs: () => [...recent],
  };
}

/** SIGTERM (Caddy then finishes in-flight requests), SIGKILL if it is still there after `timeoutMs`. */
export async function stopCaddy(proc: CaddyProcess, timeoutMs: number): Promise<ProcessExit> {
  if (proc.hasExited()) return proc.exited;
  proc.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const first = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  if (first !== 'timeout') return first;
  proc.child.kill('SIGKILL');
  return proc.exited;
}
