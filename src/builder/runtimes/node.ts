/**
 * `node`: the app under `/app`. With `node_modules/`, two layers: dependencies (package.json,
 * package-lock.json, node_modules) first, then the rest, so a code-only change reuses the
 * dependencies layer. Started like `npm start`: `scripts.start`, else `node server.js`, with
 * `/app/node_modules/.bin` first on PATH.
 *
 * @module
 */
import { SlipwayError } from '../../core/errors.js';
import type { Archive } from '../archive/archive.js';
import type { ArchiveEntry } from '../archive/entries.js';
import { containerConfig, envOf } from '../image/config.js';
import type { BaseImage } from '../types.js';
import { placeEntries, portOf, type RuntimePlan } from './plan.js';

const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const binDir = '/app/node_modules/.bin';

export const isDependency = (path: string): boolean =>
  path === 'package.json' || path === 'package-lock.json' || path === 'node_modules' || path.startsWith('node_modules/');

/**
 * The Entrypoint for a start command: `exec` so the app is PID 1's direct child and gets
 * signals, with leading `VAR=value` assignments kept before `exec`; a command with shell
 * control operators (`&&`, `;`, `|`, …) runs as written, since `exec` would end it early.
 */
export function shellEntrypoint(command: string): string[] {
  const trimmed = command.trim();
  const m = /^((?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"]*"|[^\s'"])*\s+)*)([\s\S]*)$/.exec(trimmed);
  const assignments = m?.[1] ?? '';
  const rest = m?.[2] ?? trimmed;
  if (/[;&|\n`]|\$\(/.test(rest) || rest.startsWith('exec ')) return ['/bin/sh', '-c', trimmed];
  return ['/bin/sh', '-c', `${assignments}exec ${rest}`];
}

async function startCommand(archive: Archive, entries: readonly ArchiveEntry[]): Promise<string> {
  const pkgEntry = entries.find((e) => e.path === 'package.json' && e.type === 'file');
  let pkg: unknown;
  try {
    pkg = pkgEntry ? JSON.parse((await archive.readSmall(pkgEntry, 4 * 1024 * 1024)).toString('utf8')) : undefined;
  } catch (error) {
    if (error instanceof SyntaxError) throw new SlipwayError('SLW_ARTIFACT_INVALID', `package.json is not valid JSON (${error.message}); fix it and upload again`);
    throw error;
  }
  if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg)) throw new SlipwayError('SLW_ARTIFACT_INVALID', 'package.json must hold a JSON object; fix it and upload again');
  const scripts = (pkg as { scripts?: unknown }).scripts;
  const start = typeof scripts === 'object' && scripts !== null ? (scripts as Record<string, unknown>).start : undefined;
  if (typeof start === 'string' && start.trim() !== '') return start;
  if (entries.some((e) => e.path === 'server.js' && e.type === 'file')) return 'node server.js';
  throw new SlipwayError('SLW_ARTIFACT_INVALID', 'package.json has no scripts.start and there is no server.js at the app root; add a start script (e.g. "start": "node index.js")');
}

export async function nodePlan(base: BaseImage, archive: Archive, entries: readonly ArchiveEntry[]): Promise<RuntimePlan> {
  const command = await startCommand(archive, entries);
  const env = envOf(containerConfig(base));
  const path = env.get('PATH') ?? defaultPath;
  const hasModules = entries.some((e) => e.path.startsWith('node_modules/') || (e.path === 'node_modules' && e.type === 'dir'));
  const deps = entries.filter((e) => isDependency(e.path));
  const app = hasModules ? entries.filter((e) => !isDependency(e.path)) : entries;
  const layers = hasModules
    ? [
        { name: 'deps', createdBy: 'slipway: node dependencies /app/node_modules', entries: placeEntries(archive, deps, 'app') },
        { name: 'app', createdBy: 'slipway: node application /app', entries: placeEntries(archive, app, 'app') },
      ]
    : [{ name: 'app', createdBy: 'slipway: node application /app', entries: placeEntries(archive, app, 'app') }];
  return {
    layers,
    config: {
      env: { PATH: path.split(':')[0] === binDir ? path : `${binDir}:${path}` },
      envDefaults: { PORT: '8080' },
      entrypoint: shellEntrypoint(command),
      workingDir: '/app',
      exposedPorts: [`${portOf(env)}/tcp`],
    },
  };
}
