/**
 * Client commands load only what they use (issue 16). bin/slipway runs one bundled file,
 * dist/cli/slipway.cjs (scripts/bundle-cli.mjs), so three checks:
 *
 * - What the bundle holds (dist/cli/slipway.meta.json, written with it): none of the server
 *   (src/server/, its contexts, the API schemas of src/api/ with zod, fastify, kysely,
 *   better-sqlite3, pg, pino…); those stay outside it, reached only by a lazy import.
 * - What the real executable loads: a module hook records every ES module and, at exit, every
 *   CommonJS module in the require cache. A client command loads bin/slipway and the bundle and
 *   no other file of dist/ or node_modules/.
 * - That each command evaluates its own group of commands only: the same sources, unbundled
 *   (tsc's dist/cli/bin.js), where each module is its own file the recorder sees.
 *
 * A control run that imports the server's start module shows the recorder sees those modules.
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

const serverSide = /^((dist|src)\/(api|server|store|registry|builder|deploy|edge|targets|controllers|images|tenancy|projects|releases|secrets|audit|agent|fleet|services|drivers)\/|node_modules\/(fastify|@fastify|kysely|better-sqlite3|pg|pino|prom-client|zod|tar-stream|ws|@peculiar)\/)/;

describe('modules loaded by client commands', () => {
  it('the recorder sees the server when it is loaded (control)', () => {
    const loaded = loads(['--input-type=module', '-e', `await import(${JSON.stringify(join(repoRoot, 'dist/server/start.js'))})`]);
    expect(loaded).toContain('dist/server/start.js');
    for (const dep of ['fastify', 'kysely', 'better-sqlite3', 'pino']) expect(loaded.some((m) => m.startsWith(`node_modules/${dep}/`)), dep).toBe(true);
  });

  it('the bundle holds no server code and reaches it only through lazy imports', () => {
    const meta = JSON.parse(readFileSync(join(repoRoot, 'dist/cli/slipway.meta.json'), 'utf8')) as { inputs: string[]; external: string[] };
    const inputs = meta.inputs.map((i) => i.replace(/^.*node_modules\//, 'node_modules/'));
    expect(inputs).toContain('src/cli/main.ts');
    expect(inputs).toContain('node_modules/commander/lib/command.js');
    expect(inputs.filter((m) => serverSide.test(m))).toEqual([]);
    // Besides: stand-ins that require Node's own modules on first use (lazy-builtin:…, lazy-child-process:…).
    expect(inputs.filter((m) => !/^(src\/(cli|core|platform)\/|node_modules\/(commander|picocolors)\/|lazy-[\w-]+:node:)/.test(m))).toEqual([]);
    // Outside the bundle: Node's own modules, the server's and the agent's, and the packer of `slipway build DIR`,
    // which scripts/bundle-cli.mjs lets only `await import()` reach (it fails the build on a static import).
    expect(meta.external.filter((m) => !m.startsWith('node:') && !/^\.\.\/(server|agent)\/[\w-]+\.js$/.test(m) && m !== '../builder/archive/pack-directory.js')).toEqual([]);
  });

  const commands: Array<[string[], string[]]> = [
    [['--version'], []],
    [['version'], []],
    [['whoami', '--help'], ['workspace']],
    [['whoami', '--token', 'x'], ['workspace']],
    [['--json', '--server', 'http://127.0.0.1:9', 'config', 'get', '-w', 'a', '-p', 'b', '--token', 'x'], ['config']],
    [['context', 'list'], ['login']],
    [['server', '--help'], ['server', 'servers']],
    [['agent', '--help'], ['agent']],
  ];

  it.each(commands)('slipway %j loads the bundle and no other file of dist/ or node_modules/', (args) => {
    const loaded = loads([slipwayBin, ...args]);
    expect(loaded).toContain('bin/slipway');
    expect(loaded.filter((m) => m.startsWith('dist/') || m.startsWith('node_modules/'))).toEqual(['dist/cli/slipway.cjs']);
  });

  it.each(commands)('slipway %j, unbundled, loads no server module and only its own commands', (args, groups) => {
    const loaded = loads([join(repoRoot, 'dist/cli/bin.js'), ...args]);
    expect(loaded).toContain('dist/cli/bin.js');
    expect(loaded.filter((m) => serverSide.test(m))).toEqual([]);
    // `slipway --version` answers before loading commander and the commands.
    if (args[0] === '--version') expect(loaded.filter((m) => m.startsWith('node_modules/') || m.startsWith('dist/cli/main'))).toEqual([]);
    expect(loaded.filter((m) => m.startsWith('dist/cli/commands/')).sort()).toEqual(groups.map((c) => `dist/cli/commands/${c}.js`));
    // Tables are drawn by src/cli/table.ts: cli-table3 never loads.
    expect(loaded.filter((m) => m.startsWith('node_modules/cli-table3/'))).toEqual([]);
  });

  it('slipway --help lists every command without loading the server', () => {
    const bundled = loads([slipwayBin, '--help']);
    expect(bundled.filter((m) => m.startsWith('dist/') || m.startsWith('node_modules/'))).toEqual(['dist/cli/slipway.cjs']);
    const loaded = loads([join(repoRoot, 'dist/cli/bin.js'), '--help']);
    expect(loaded.filter((m) => m.startsWith('dist/cli/commands/')).length).toBeGreaterThan(8);
    expect(loaded.filter((m) => serverSide.test(m))).toEqual([]);
  });
});
