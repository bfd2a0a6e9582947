/**
 * Vitest global set-up: compiles src/ to dist/ and the web panel to dist/panel once per run, so
 * the end-to-end tests that spawn `bin/slipway` run the code under test, not a stale build.
 * tsc is incremental (about a second when up to date); the CLI bundle (scripts/bundle-cli.mjs,
 * what bin/slipway runs) takes a fraction of a second; the panel's Vite build about two.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

export default function setup(): void {
  const root = resolve(import.meta.dirname, '../..');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/bundle-cli.mjs'], { cwd: root, stdio: 'inherit' });
  const vite = createRequire(import.meta.url).resolve('vite/package.json').replace(/package\.json$/, 'bin/vite.js');
  execFileSync(process.execPath, [vite, 'build', '--config', 'panel/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}
