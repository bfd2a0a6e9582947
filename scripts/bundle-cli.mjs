// Bundles the `slipway` client into one CommonJS file, dist/cli/slipway.cjs, that bin/slipway
// runs (issue 16, docs/adr/0012-bundled-cli.md). Part of `npm run build`, after tsc.
//
// In the bundle: src/cli, src/core, src/platform and the packages they use (commander,
// picocolors). Left out, and imported at run time from tsc's output in dist/: every other part of
// src/ (the server, the store, the registry…), which only `slipway server`, `slipway proxy stop`
// and `slipway admin token rotate` load, lazily. The list of bundled inputs is written to
// dist/cli/slipway.meta.json; src/cli/lazy-load.test.ts checks it holds no server code.
//
// esbuild is the copy already in node_modules (a dependency of tsx and vite's build tooling);
// it is not a direct devDependency of its own.
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const outfile = join(root, 'dist', 'cli', 'slipway.cjs');
/** Top-level folders of src/ that go into the bundle. */
const bundled = new Set(['cli', 'core', 'platform']);

/** Relative imports of src/ outside `bundled` stay imports, of tsc's output next to the bundle. */
const serverStaysOutside = {
  name: 'server-stays-outside',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      const rel = relative(src, target);
      if (rel.startsWith('..') || bundled.has(rel.split(sep)[0])) return undefined;
      if (args.kind !== 'dynamic-import') return { errors: [{ text: `${relative(root, args.importer)} imports ${args.path} statically: code outside src/{${[...bundled].join(',')}} may only be imported lazily (await import) by the CLI` }] };
      const fromBundle = relative(dirname(outfile), join(root, 'dist', rel)).split(sep).join('/');
      return { path: fromBundle.startsWith('.') ? fromBundle : `./${fromBundle}`, external: true };
    });
  },
};

/**
 * `await import('node:http')` in the sources (loaded only by commands that call the server) stays
 * lazy in the bundle but becomes a require: a CommonJS file's import() would start Node's ES
 * module loader for it.
 */
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, namespace: 'lazy-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/**
 * commander requires node:child_process at its top for executable subcommands (`program
 * .command(name, description)` run as separate programs), which Slipway does not use; loading it
 * (and dgram, which it pulls in) costs every command ~2 ms. In the bundle commander gets a
 * stand-in whose `spawn` requires the real module on first use.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) => (/[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'node:child_process', namespace: 'lazy-child-process' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({ contents: 'exports.spawn = (...args) => require("node:child_process").spawn(...args);', loader: 'js' }));
  },
};

const result = await build({
  entryPoints: [join(src, 'cli', 'bin.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The bundle's own location stands in for import.meta.url (version.ts reads ../../package.json).
  define: { 'import.meta.url': '__slipwayModuleUrl' },
  banner: { js: '"use strict";\nconst __slipwayModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [serverStaysOutside, lazyBuiltins, lazyChildProcessForCommander],
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs).sort();
const external = [...new Set(Object.values(result.metafile.inputs).flatMap((i) => i.imports.filter((x) => x.external).map((x) => x.path)))].sort();
writeFileSync(join(root, 'dist', 'cli', 'slipway.meta.json'), `${JSON.stringify({ inputs, external }, null, 2)}\n`);
