/**
 * One `caddy run` process: spawned with a config file, its output followed line by line, its exit
 * observable, stopped with SIGTERM and then SIGKILL.
 *
 * The child gets a minimal environment (PATH, and HOME/XDG directories inside Slipway's state
 * directory) so that nothing of Slipway's own environment reaches it and nothing it stores (the
 * autosave is off anyway, but Caddy's storage and the smallstep truststore look at HOME) lands in
 * the user's home.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { followLog } from './log-follower.js';

/** Where a log line came from (Caddy's stdout and stderr share one log file). */
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

/** The log file is moved to `caddy.log.1` at a spawn once it is larger than this. */
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

function rotate(logFile: string): void {
  try {
    if (statSync(logFile).size > LOG_ROTATE_BYTES) renameSync(logFile, `${logFile}.1`);
  } catch {
    // no log file yet
  }
}

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
  // Output goes to a file and the process gets its own session (detached): Caddy must outlive a
  // control plane that stops or is killed (a pipe to a dead parent would end it at its next log
  // line; a terminal's Ctrl-C or hang-up must not reach it), so traffic keeps flowing while the
  // server is down or upgraded; the next server adopts it. The file is followed to pass the lines on.
  const logFile = join(options.stateDir, 'caddy.log');
  rotate(logFile);
  const out = openSync(logFile, 'a', 0o600);
  const log = followLog(logFile, statSync(logFile).size, (line) => options.onLog(line, 'stderr'));
  const child = spawn(options.binary, ['run', '--config', options.configFile], {
    cwd: options.stateDir,
    env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  child.unref();

  let ended = false;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = true;
      log.stop();
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      // Spawning failed (ENOENT, EACCES): there will be no 'exit' event.
      if (child.pid === undefined) {
        ended = true;
        log.stop();
        log.add(`cannot start ${options.binary}: ${error.message}`);
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
    recentLogs: () => log.recent(),
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
