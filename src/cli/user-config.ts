/**
 * The per-user CLI config: named contexts (server URL + token), like kubectl's. It lives in
 * `$XDG_CONFIG_HOME/slipway/config.json` (else `~/.config/slipway/config.json`), the file mode
 * 0600 and its directory 0700; a file or directory found readable by others is set back to
 * those modes with a warning, since the tokens in it may have been read.
 *
 * @module
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { SlipwayError } from '../core/errors.js';

/** One named context. */
export interface StoredContext {
  server: string;
  token: string;
  /** The user the token acted as when it was saved (for display). */
  user?: string;
}

/** The file's content. */
export interface UserConfig {
  current?: string;
  contexts: Record<string, StoredContext>;
}

/** Where the config file is. */
export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config');
  return join(base, 'slipway', 'config.json');
}

/** Context names: what a shell and a table show without quoting. */
export function checkContextName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,62}$/.test(name)) throw new SlipwayError('SLW_USAGE', `context name '${name}' is not valid: use letters, digits and . _ : @ - (up to 63)`);
  return name;
}

/** Sets `path` back to `mode` when group or others have any access, and says so. */
function tighten(path: string, mode: number, what: string, warn: (message: string) => void): void {
  const actual = statSync(path).mode & 0o777;
  if ((actual & 0o077) === 0) return;
  chmodSync(path, mode);
  warn(`warning: ${what} ${path} was accessible to other users (mode ${actual.toString(8).padStart(4, '0')}); set it to ${mode.toString(8).padStart(4, '0')}. Tokens in it may have been read: consider revoking them`);
}

/** Reads the config (an empty one when there is no file yet). */
export function readUserConfig(file: string = userConfigPath(), warn: (message: string) => void = (m) => process.stderr.write(`${m}\n`)): UserConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return { contexts: {} };
    throw new SlipwayError('SLW_USAGE', `cannot read the CLI config ${file}: ${(error as Error).message}`);
  }
  tighten(dirname(file), 0o700, 'the directory', warn);
  tighten(file, 0o600, 'the CLI config', warn);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SlipwayError('SLW_USAGE', `the CLI config ${file} is not valid JSON: fix it, or remove it and run slipway login again`);
  }
  return validate(parsed, file);
}

function validate(value: unknown, file: string): UserConfig {
  const bad = () => new SlipwayError('SLW_USAGE', `the CLI config ${file} does not have the expected shape ({"current": NAME, "contexts": {NAME: {"server", "token"}}}): fix it, or remove it and run slipway login again`);
  if (typeof value !== 'object' || value === null) throw bad();
  const { current, contexts } = value as { current?: unknown; contexts?: unknown };
  if (current !== undefined && typeof current !== 'string') throw bad();
  if (typeof contexts !== 'object' || contexts === null || Array.isArray(contexts)) throw bad();
  const out: Record<string, StoredContext> = {};
  for (const [name, c] of Object.entries(contexts as Record<string, unknown>)) {
    const { server, token, user } = (c ?? {}) as { server?: unknown; token?: unknown; user?: unknown };
    if (typeof server !== 'string' || typeof token !== 'string') throw bad();
    out[name] = { server, token, ...(typeof user === 'string' ? { user } : {}) };
  }
  return { ...(current ? { current } : {}), contexts: out };
}

/** Writes the config atomically (a 0600 temp file renamed over the old one), the directory 0700. */
export function writeUserConfig(config: UserConfig, file: string = userConfigPath(), warn: (message: string) => void = (m) => process.stderr.write(`${m}\n`)): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir, 0o700, 'the directory', warn);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    rmSync(temp, { force: true });
    writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new SlipwayError('SLW_USAGE', `cannot write the CLI config ${file}: ${(error as Error).message}`);
  }
}
