/**
 * The layering rules of .dependency-cruiser.cjs hold for src/, and they really catch a
 * violation (checked on a small fixture tree).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');
const config = join(root, '.dependency-cruiser.cjs');

function cruise(cwd: string): { code: number; output: string } {
  try {
    const output = execFileSync(depcruise, ['src', '--config', config], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, output };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, output: `${e.stdout}${e.stderr}` };
  }
}

describe('architecture', () => {
  const fixture = mkdtempSync(join(tmpdir(), 'slipway-layers-'));
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));

  it('src/ has no layering violation', () => {
    const r = cruise(root);
    expect(r.output).toContain('no dependency violations found');
    expect(r.code).toBe(0);
  });

  it('catches I/O in core/ and a context importing the server', () => {
    for (const dir of ['src/core', 'src/tenancy', 'src/server']) mkdirSync(join(fixture, dir), { recursive: true });
    writeFileSync(join(fixture, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
    writeFileSync(join(fixture, 'src/core/rule.ts'), "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
    writeFileSync(join(fixture, 'src/server/app.ts'), 'export const app = 1;\n');
    writeFileSync(join(fixture, 'src/tenancy/t.ts'), "import { app } from '../server/app.js';\nexport const t = app;\n");
    const r = cruise(fixture);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('core-is-pure');
    expect(r.output).toContain('contexts-do-not-import-apps');
  });
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('house rules', () => {
  it('has no any casts or explicit any in src/', () => {
    const offenders = tsFiles(join(root, 'src')).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ file, line: i + 1, text: line }))
        .filter((l) => /(\bas any\b|<any>|:\s*any\b)/.test(l.text)),
    );
    expect(offenders).toEqual([]);
  });
});
