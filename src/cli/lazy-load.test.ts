/**
 * Client commands load only what they use (issue 16): the real executable runs with a module
 * hook that records every ES module it loads and, at exit, every CommonJS module in the require
 * cache. No client command may load the server (dist/server/, its contexts, the API schemas of
 * dist/api/ with zod, fastify, kysely, better-sqlite3, pg, pino…), and a command loads its own
 * group of commands only. A control run that imports the server's start module shows the
 * recorder sees those modules.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv, cleanup, repoRoot, slipwayBin, tempDir } from '../../test/support/server-process.js';

const dir = tempDir('slipway-loads-');
const hooks = join(dir, 'hooks.mjs');
const preload = join(dir, 'preload.mjs');
writeFileSync(hooks, "import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  appendFileSync(process.env.LOADS_FILE, url + '\\n');\n  return next(url, context);\n}\n");
writeFileSync(
  preload,
  [
    "import { register, createRequire } from 'node:module';",
    "import { appendFileSync } from 'node:fs';",
    `register(${JSON.stringify(`file://${hooks}`)});`,
    'const require = createRequire(import.meta.url);',
    "process.on('exit', () => appendFileSync(process.env.LOADS_FILE, Object.keys(require.cache).map((f) => 'file://' + f + '\\n').join('')));",
  ].join('\n'),
);
afterAll(cleanup);

let runs = 0;
/** Runs node with the recorder; returns the loaded module URLs relative to the repository. */
function loads(args: string[], env: Record<string, string> = {}): string[] {
  const file = join(dir, `loads-${(runs += 1)}.txt`);
  writeFileSync(file, '');
  const home = tempDir('slipway-home-');
  const r = spawnSync(process.execPath, ['--import', preload, ...args], { cwd: repoRoot, env: childEnv({ LOADS_FILE: file, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), SLIPWAY_SERVER: 'http://127.0.0.1:9', ...env }), encoding: 'utf8', timeout: 30_000 });
  expect(r.error).toBeUndefined();
  return [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))].map((u) => u.replace(`file://${repoRoot}/`, '').replace(/^file:\/\/.*\/node_modules\//, 'node_modules/'));
}

const serverSide = /^(dist\/(api|server|store|registry|builder|deploy|edge|targets|controllers|images|tenancy|projects|releases|secrets|audit)\/|node_modules\/(fastify|@fastify|kysely|better-sqlite3|pg|pino|prom-client|zod|tar-stream)\/)/;

describe('modules loaded by client commands', () => {
  it('the recorder sees the server when it is loaded (control)', () => {
    const loaded = loads(['--input-type=module', '-e', `await import(${JSON.stringify(join(repoRoot, 'dist/server/start.js'))})`]);
    expect(loaded).toContain('dist/server/start.js');
    for (const dep of ['fastify', 'kysely', 'better-sqlite3', 'pino']) expect(loaded.some((m) => m.startsWith(`node_modules/${dep}/`)), dep).toBe(true);
  });

  it.each([
    [['--version'], []],
    [['version'], []],
    [['whoami', '--help'], ['workspace']],
    [['whoami', '--token', 'x'], ['workspace']],
    [['--json', '--server', 'http://127.0.0.1:9', 'config', 'get', '-w', 'a', '-p', 'b', '--token', 'x'], ['config']],
    [['context', 'list'], ['login']],
    [['server', '--help'], ['server']],
  ])('slipway %j loads no server module and only its own commands', (args, commands) => {
    const loaded = loads([slipwayBin, ...args]);
    expect(loaded).toContain('dist/cli/bin.js');
    expect(loaded.filter((m) => serverSide.test(m))).toEqual([]);
    // `slipway --version` answers before loading commander and the commands.
    if (args[0] === '--version') expect(loaded.filter((m) => m.startsWith('node_modules/') || m.startsWith('dist/cli/main'))).toEqual([]);
    expect(loaded.filter((m) => m.startsWith('dist/cli/commands/')).sort()).toEqual(commands.map((c) => `dist/cli/commands/${c}.js`));
    // Tables are drawn by src/cli/table.ts: cli-table3 never loads.
    expect(loaded.filter((m) => m.startsWith('node_modules/cli-table3/'))).toEqual([]);
  });

  it('slipway --help lists every command without loading the server', () => {
    const loaded = loads([slipwayBin, '--help']);
    expect(loaded.filter((m) => m.startsWith('dist/cli/commands/')).length).toBeGreaterThan(8);
    expect(loaded.filter((m) => serverSide.test(m))).toEqual([]);
  });
});
