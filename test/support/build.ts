/**
 * Vitest global set-up: compiles src/ to dist/ once per run, so the end-to-end tests that spawn
 * `bin/slipway` run the code under test, not a stale build. Incremental, so a build that is up
 * to date costs about a second.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

export default function setup(): void {
  const root = resolve(import.meta.dirname, '../..');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
