/**
 * The client tools the PostgreSQL and MySQL backup drivers run on the control plane's host
 * (pg_dump and psql; mariadb-dump or mysqldump and mariadb or mysql), with the admin
 * credentials in environment variables, never in argv (which `ps` shows to every local user).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { SlipwayError } from '../../core/errors.js';
import type { AdminConnection } from '../../core/services.js';
import { redact, where } from '../failure.js';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first of `names` on PATH or in `extraDirs`; SLW_INTERNAL naming the package to install otherwise. */
export function findTool(names: readonly string[], extraDirs: readonly string[], pkg: string): string {
  const dirs = [...(process.env.PATH ?? '/usr/bin:/bin').split(':').filter((d) => d !== ''), ...extraDirs];
  for (const name of names) for (const dir of dirs) if (executable(join(dir, name))) return join(dir, name);
  throw new SlipwayError('SLW_INTERNAL', `${names[0]} is not installed on the Slipway server; install the ${pkg} package (scripts/setup.sh does) to back up and restore these services`);
}

/** PostgreSQL's versioned bin folders, newest first (Debian keeps them out of PATH). */
export function postgresBinDirs(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql')
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a))
      .map((d) => `/usr/lib/postgresql/${d}/bin`);
  } catch {
    return [];
  }
}

export interface ToolRun {
  /** Written to the tool's stdin before `input` (e.g. statements that open the restore). */
  prelude?: string;
  input?: Readable;
  /** Where stdout goes (left open); absent: discarded. */
  output?: Writable;
  /** What the tool does, for messages: "dump the database". */
  step: string;
}

/**
 * Runs `command` with only `env` (plus PATH and a locale) and resolves when it exits 0. A
 * failure is SLW_INTERNAL with the tool's last stderr lines, the admin password redacted.
 */
export async function runTool(admin: AdminConnection, command: string, args: string[], env: Record<string, string>, run: ToolRun): Promise<void> {
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8', ...env }, stdio: ['pipe', run.output ? 'pipe' : 'ignore', 'pipe'] });
  const { stdin, stderr: errors } = child;
  if (stdin === null || errors === null) throw new SlipwayError('SLW_INTERNAL', `${run.step}: could not start ${command}`);
  let stderr = '';
  errors.setEncoding('utf8');
  errors.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const piped: Promise<void>[] = [];
  if (run.output && child.stdout) {
    const out = run.output;
    const stdout = child.stdout;
    piped.push(
      new Promise<void>((resolve, reject) => {
        stdout.on('error', reject);
        out.on('error', reject);
        stdout.on('end', resolve);
        stdout.pipe(out, { end: false });
      }),
    );
  }
  stdin.on('error', () => undefined);
  if (run.prelude !== undefined) stdin.write(run.prelude);
  if (run.input) {
    const input = run.input;
    piped.push(
      new Promise<void>((resolve, reject) => {
        input.on('error', reject);
        input.on('end', resolve);
        input.pipe(stdin);
        // A tool that stops early (an error in the dump) no longer reads: stop feeding it.
        child.on('close', () => {
          input.unpipe(stdin);
          input.destroy();
          resolve();
        });
      }),
    );
  } else {
    stdin.end();
  }
  let code: number | null;
  try {
    [code] = await Promise.all([exited, ...piped]);
  } catch (error) {
    child.kill('SIGTERM');
    throw new SlipwayError('SLW_INTERNAL', `${where(admin)}: ${run.step} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (code !== 0) {
    const lines = redact(stderr, [admin.password]).trim().split('\n').filter((l) => l.trim() !== '').slice(-3).join(' | ').slice(0, 400);
    throw new SlipwayError('SLW_INTERNAL', `${where(admin)}: ${run.step} failed (${command.split('/').pop() ?? command} exited ${code ?? 'on a signal'}): ${lines}`);
  }
}
